/**
 * Renders the topology description as the README's tables, so the documentation is generated
 * from the same value the services declare (topology.test.ts fails when they drift apart;
 * `npm exec -- node infra/src/messaging/topology/update-readme.ts` rewrites the section).
 */
import type { HeaderValue } from '../broker-channel.ts';
import { withQueues, type QueueSpec, type Topology } from './model.ts';
import { gatewayLiveQueueSpec, tickwatchTopology } from './tickwatch.ts';

/** The shared topology plus one gateway's live queue, as the README shows it. */
export function documentedTopology(): Topology {
  return withQueues(tickwatchTopology(), [gatewayLiveQueueSpec('<instance>')]);
}

/** `alerter.p3` → `alerter.p<N>`: the 16 partition queues read as one row. */
const partitionless = (text: string): string => text.replace(/\.p\d+(?!\w)/g, '.p<N>');

function formatArgument(name: string, value: HeaderValue | undefined): string {
  const text = typeof value === 'string' && value !== '' ? value : JSON.stringify(value);
  return `\`${name}=${text}\``;
}

function queueType(queue: QueueSpec): string {
  const type = queue.arguments['x-queue-type'];
  const flags = [
    typeof type === 'string' ? type : 'classic',
    queue.exclusive ? 'exclusive' : '',
    queue.autoDelete ? 'auto-delete' : '',
    queue.durable ? '' : 'non-durable',
  ].filter(Boolean);
  return flags.join(', ');
}

function queueRow(queue: QueueSpec): string {
  const args = Object.entries(queue.arguments)
    .filter(([name]) => name !== 'x-queue-type')
    .map(([name, value]) => formatArgument(name, value))
    .join(' ');
  const bindings = queue.bindings
    .map((b) => `${b.exchange}: \`${b.pattern === '' ? '(any)' : b.pattern}\``)
    .join('<br>');
  return `| \`${queue.name}\` | ${queue.role} | ${queueType(queue)} | ${args} | ${bindings} | ${queue.consumer} |`;
}

export function topologyMarkdown(topology: Topology): string {
  const exchanges = [
    '| exchange | type | purpose |',
    '|---|---|---|',
    ...topology.exchanges.map((e) => `| \`${e.name}\` | ${e.type} | ${e.purpose} |`),
  ];
  const seen = new Set<string>();
  const queues = [
    '| queue | role | type | arguments | bound to | consumed by |',
    '|---|---|---|---|---|---|',
  ];
  for (const queue of topology.queues) {
    const row = partitionless(queueRow(queue));
    if (seen.has(row)) continue;
    seen.add(row);
    queues.push(row);
  }
  return [...exchanges, '', ...queues].join('\n');
}

export const README_BEGIN =
  '<!-- topology table: generated from tickwatchTopology(), do not edit -->';
export const README_END = '<!-- end of generated topology table -->';

/**
 * The README with its generated section replaced by `table`, formatted by prettier as `npm run
 * lint` expects (prettier aligns markdown tables, so the raw rendering never matches).
 */
export async function readmeWithTable(
  file: string,
  readme: string,
  table: string,
): Promise<string> {
  const prettier = await import('prettier');
  const config = (await prettier.resolveConfig(file)) ?? {};
  return prettier.format(withTopologyTable(readme, table), { ...config, filepath: file });
}

/** Replaces the generated section of `readme` with `table`. */
export function withTopologyTable(readme: string, table: string): string {
  const begin = readme.indexOf(README_BEGIN);
  const end = readme.indexOf(README_END);
  if (begin < 0 || end < begin) throw new Error('README has no generated topology section');
  return `${readme.slice(0, begin + README_BEGIN.length)}\n${table}\n${readme.slice(end)}`;
}
