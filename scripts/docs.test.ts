import { readFile } from 'node:fs/promises';
import { expect } from 'chai';
import { EVENT_TYPES } from '@tickwatch/contracts';
import { envExampleFile, readmeFile, renderEnvExample, renderReadme, services } from './docs.ts';

describe('generated documentation (regenerate: npm run docs)', () => {
  it('.env.example is up to date', async () => {
    expect(await readFile(envExampleFile, 'utf8')).to.equal(renderEnvExample());
  });

  it("the README's generated sections are up to date", async () => {
    const readme = await readFile(readmeFile, 'utf8');
    expect(readme).to.equal(await renderReadme(readme));
  });

  it('.env.example sets every variable of every service', async () => {
    const example = await readFile(envExampleFile, 'utf8');
    for (const spec of Object.values(services)) {
      for (const name of Object.keys(spec))
        expect(example).to.match(new RegExp(`^(# )?${name}=`, 'm'));
    }
  });

  it('the README lists every event type', async () => {
    const readme = await readFile(readmeFile, 'utf8');
    for (const type of EVENT_TYPES) expect(readme).to.include(`\`${type}\``);
  });
});
