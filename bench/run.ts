/**
 * Benchmark runner: `npm run bench` runs every bench/<name>.bench.ts, `npm run bench -- <name>...`
 * the named ones. Each prints its table and writes bench/results/<name>.json with the machine it ran on.
 */
import { readdir, mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { formatTable, type BenchScenario } from './lib/report.ts';

const benchDir = import.meta.dirname;
const available = (await readdir(benchDir))
  .filter((file) => file.endsWith('.bench.ts'))
  .map((file) => file.slice(0, -'.bench.ts'.length))
  .sort();
const requested = process.argv.slice(2);
const unknown = requested.filter((name) => !available.includes(name));
if (unknown.length > 0) {
  console.error(`unknown benchmark(s): ${unknown.join(', ')}; available: ${available.join(', ')}`);
  process.exit(2);
}

const machine = {
  node: process.version,
  os: `${os.type()} ${os.release()}`,
  cpu: os.cpus()[0]?.model ?? 'unknown',
  cores: os.availableParallelism(),
  memoryGiB: Math.round(os.totalmem() / 2 ** 30),
};
console.log(
  `machine: ${machine.cpu}, ${machine.cores} cores, ${machine.os}, Node ${machine.node}\n`,
);

await mkdir(path.join(benchDir, 'results'), { recursive: true });
for (const name of requested.length > 0 ? requested : available) {
  const scenario = (await import(path.join(benchDir, `${name}.bench.ts`))) as {
    default: BenchScenario;
  };
  const startedAt = new Date().toISOString();
  const report = await scenario.default();
  console.log(`## ${report.title}\n\n${formatTable(report.rows)}\n`);
  for (const note of report.notes ?? []) console.log(`- ${note}`);
  console.log('');
  const file = path.join(benchDir, 'results', `${name}.json`);
  await writeFile(file, JSON.stringify({ name, startedAt, machine, ...report }, null, 2) + '\n');
  console.log(`wrote ${path.relative(process.cwd(), file)}\n`);
}
