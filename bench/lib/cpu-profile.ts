/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): self time by part (our messaging layer, our
 * telemetry, OpenTelemetry, amqplib, zod, Node internals, garbage collection, idle) and the
 * functions with the most self time.
 *   MESSAGES=60000 [TOP=40] [PART=tickwatch] npx node bench/lib/cpu-profile.ts <file>.cpuprofile...
 * (MESSAGES: for µs per message; PART: only the functions of the parts whose name has it)
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** The part of the code a frame belongs to, by its script (first match wins). */
const PARTS: readonly (readonly [string, (url: string, name: string) => boolean])[] = [
  ['idle', (_url, name) => name === '(idle)'],
  // The in-process inspector session that stops and hands over the profile, not the work.
  ['profiler', (url) => url === 'node:inspector'],
  ['garbage collection', (_url, name) => name === '(garbage collector)'],
  ['OpenTelemetry SDK and API', (url) => url.includes('/node_modules/@opentelemetry/')],
  ['protobufjs', (url) => url.includes('/node_modules/protobufjs/')],
  ['amqplib', (url) => url.includes('/node_modules/amqplib/')],
  ['zod', (url) => url.includes('/node_modules/zod/')],
  ['other dependencies', (url) => url.includes('/node_modules/')],
  ['tickwatch messaging tracing', (url) => url.endsWith('/infra/src/messaging/tracing.ts')],
  ['tickwatch messaging layer', (url) => url.includes('/infra/src/messaging/')],
  ['tickwatch telemetry', (url) => url.includes('/infra/src/telemetry/')],
  ['tickwatch contracts', (url) => url.includes('/contracts/src/')],
  ['the bench itself', (url) => url.includes('/bench/')],
  ['Node.js internals', (url) => url.startsWith('node:') || url === ''],
  ['other', () => true],
];

/** Parts that are not the profiled work: left out of the busy time. */
const NOT_WORK = new Set(['idle', 'profiler']);

const partOf = (url: string, name: string): string =>
  PARTS.find(([, matches]) => matches(url, name))?.[0] ?? 'other';

export interface ProfileSummary {
  readonly totalMs: number;
  /** Part → self ms, largest first. */
  readonly parts: readonly (readonly [string, number])[];
  /** `function (file:line)` → self ms, largest first. */
  readonly functions: readonly (readonly [string, number, string])[];
}

/** Self time of the samples of `profiles` (several runs of one mode add up). */
export function summarise(profiles: readonly CpuProfile[]): ProfileSummary {
  const parts = new Map<string, number>();
  const functions = new Map<string, { ms: number; part: string }>();
  let totalMs = 0;
  for (const profile of profiles) {
    const byId = new Map(profile.nodes.map((node) => [node.id, node]));
    profile.samples.forEach((id, index) => {
      const node = byId.get(id);
      if (!node) return;
      const ms = (profile.timeDeltas[index] ?? 0) / 1000;
      const { functionName, url, lineNumber } = node.callFrame;
      const part = partOf(url, functionName);
      totalMs += ms;
      parts.set(part, (parts.get(part) ?? 0) + ms);
      const file = url.replace(/^.*\/(node_modules|infra\/src|contracts\/src|bench)\//, '$1/');
      const key = `${functionName || '(anonymous)'} (${file}:${lineNumber + 1})`;
      const entry = functions.get(key) ?? { ms: 0, part };
      entry.ms += ms;
      functions.set(key, entry);
    });
  }
  return {
    totalMs,
    parts: [...parts].sort((a, b) => b[1] - a[1]),
    functions: [...functions]
      .map(([name, { ms, part }]) => [name, ms, part] as const)
      .sort((a, b) => b[1] - a[1]),
  };
}

/** The summary as text: busy time, each part's share and µs per message, the top functions. */
export function formatSummary(
  summary: ProfileSummary,
  messages: number,
  top = 25,
  only?: string,
): string {
  const idleMs = summary.parts
    .filter(([part]) => NOT_WORK.has(part))
    .reduce((sum, [, ms]) => sum + ms, 0);
  const busyMs = summary.totalMs - idleMs;
  const share = (ms: number) => `${((ms / busyMs) * 100).toFixed(1)} %`.padStart(7);
  const perMessage = (ms: number) => `${((ms * 1000) / messages).toFixed(1)} µs/msg`.padStart(12);
  const lines = [
    `${Math.round(summary.totalMs)} ms sampled, ${Math.round(busyMs)} ms busy: ${perMessage(busyMs).trim()} over ${messages.toLocaleString('en-US')} messages`,
    '',
    'self time by part (share of busy time, per message):',
  ];
  for (const [part, ms] of summary.parts) {
    if (!NOT_WORK.has(part)) lines.push(`  ${share(ms)} ${perMessage(ms)}  ${part}`);
  }
  lines.push('', `top ${top} functions by self time${only ? ` in ${only}` : ''}:`);
  const shown = summary.functions.filter(([, , part]) =>
    only ? part.includes(only) : !NOT_WORK.has(part),
  );
  for (const [name, ms, part] of shown.slice(0, top)) {
    lines.push(`  ${share(ms)} ${perMessage(ms)}  ${name}  [${part}]`);
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const files = process.argv.slice(2);
  if (files.length === 0) {
    console.error(
      'usage: node bench/lib/cpu-profile.ts <file>.cpuprofile... (messages: MESSAGES=n)',
    );
    process.exit(2);
  }
  const profiles = await Promise.all(
    files.map(async (file) => JSON.parse(await readFile(file, 'utf8')) as CpuProfile),
  );
  const { MESSAGES = '1', TOP = '25', PART } = process.env;
  console.log(formatSummary(summarise(profiles), Number(MESSAGES), Number(TOP), PART));
}
