/**
 * One output for every process `npm start` runs: their lines interleaved as they arrive, each
 * tagged with the process name. In a terminal the JSON lines are made readable (pino-pretty)
 * behind a coloured `name │` prefix; otherwise every line stays one JSON object, so the stream
 * can be piped to jq or a log shipper. A line that is not JSON (a crash trace on stderr, a
 * broker's banner) is wrapped into a log object in JSON mode and shown as is in pretty mode.
 */
import { styleText } from 'node:util';
import { prettyFactory } from 'pino-pretty';

export const LOG_FORMATS = ['auto', 'pretty', 'json'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export interface LogOutputOptions {
  /** `auto`: pretty when `interactive`, JSON otherwise. */
  readonly format: LogFormat;
  readonly interactive: boolean;
  readonly write: (text: string) => void;
}

export interface LogOutput {
  readonly pretty: boolean;
  /** One line written by process `source` (without its newline). */
  line(source: string, text: string, stream?: 'stdout' | 'stderr'): void;
  /** Human text (the "ready" banner): shown as is in pretty mode, dropped in JSON mode. */
  text(block: string): void;
}

/** Fields the prefix or the message already shows, or that only tools need. */
const HIDDEN_IN_PRETTY = 'service,process,instance,pid,hostname,trace_flags,span_id';
const PREFIX_WIDTH = 10;
const PALETTE = ['cyan', 'magenta', 'yellow', 'green', 'blue', 'red'] as const;
type Color = Parameters<typeof styleText>[0] & string;

export function createLogOutput(options: LogOutputOptions): LogOutput {
  const pretty = options.format === 'pretty' || (options.format === 'auto' && options.interactive);
  const colorize = pretty && options.interactive;
  const paint = (color: Color, text: string) =>
    colorize ? styleText(color, text, { validateStream: false }) : text;
  // One line per record (an error's stack still spans several), so the services' lines interleave.
  const prettify = prettyFactory({
    colorize,
    singleLine: true,
    translateTime: 'HH:MM:ss.l',
    ignore: HIDDEN_IN_PRETTY,
  });
  const prefixes = new Map<string, string>();
  const prefix = (source: string): string => {
    let known = prefixes.get(source);
    if (known === undefined) {
      const color = PALETTE[prefixes.size % PALETTE.length] ?? 'cyan';
      known = `${paint(color, source.padEnd(PREFIX_WIDTH))}${paint('gray', '│')} `;
      prefixes.set(source, known);
    }
    return known;
  };

  return {
    pretty,
    line(source, text, stream = 'stdout') {
      if (text.trim() === '') return;
      const record = parseRecord(text);
      if (!pretty) {
        options.write(
          `${record ? text : JSON.stringify(wrap(source, text, stream === 'stderr'))}\n`,
        );
        return;
      }
      const shown = record ? prettify(record).replace(/\n$/, '') : text;
      options.write(
        shown
          .split('\n')
          .map((part) => prefix(source) + part)
          .join('\n') + '\n',
      );
    },
    text(block) {
      if (pretty) options.write(`${block}\n`);
    },
  };
}

function parseRecord(text: string): Record<string, unknown> | undefined {
  if (!text.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function wrap(source: string, text: string, fromStderr: boolean) {
  return {
    level: fromStderr ? 'error' : 'info',
    time: new Date().toISOString(),
    service: source,
    msg: text,
  };
}
