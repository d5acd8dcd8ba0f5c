/** The README's command table is the contract: every command the server answers is in it. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { commandNames } from './commands/dispatcher.ts';

describe('embedded MongoDB README', () => {
  it('lists every implemented command in its command table', () => {
    const readme = readFileSync(path.join(import.meta.dirname, 'README.md'), 'utf8');
    const table = readme.slice(readme.indexOf('## Commands'), readme.indexOf('## Differences'));
    const missing = commandNames().filter((name) => !table.includes(`\`${name}\``));
    expect(missing, 'commands missing from the README table').to.deep.equal([]);
  });
});
