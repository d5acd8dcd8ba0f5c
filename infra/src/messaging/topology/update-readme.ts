/** Rewrites the generated topology tables in infra/src/messaging/README.md. */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { documentedTopology, readmeWithTable, topologyMarkdown } from './readme-table.ts';

const file = path.join(import.meta.dirname, '..', 'README.md');
const readme = await readFile(file, 'utf8');
await writeFile(file, await readmeWithTable(file, readme, topologyMarkdown(documentedTopology())));
console.log(`updated ${path.relative(process.cwd(), file)}`);
