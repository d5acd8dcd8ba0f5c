/**
 * The embedded server's own metrics (`tickwatch_mongo_*`), declared in the registry of the
 * process it runs in: `npm run mongo:embedded -- --metrics-port N` serves them on /metrics, and
 * a test or tool that starts the server in-process exports them with its own. Commands are
 * counted by name only when the server knows the command (an unknown name is a client's free
 * text, so it counts as `unknown`: label values stay bounded).
 */
import { counter, defineMetrics, gauge, histogram } from '../../telemetry/metrics.ts';
import { commandNames } from './commands/dispatcher.ts';

/** What a running server reports at each scrape. */
export interface ServerGauges {
  connections(): number;
  openCursors(): number;
  /** Bytes in the current journal file (0 in memory): compaction brings it back down. */
  journalBytes(): number;
}

const running = new Set<ServerGauges>();
const total = (read: (server: ServerGauges) => number): number =>
  [...running].reduce((sum, server) => sum + read(server), 0);

const knownCommands = new Set(commandNames());

const metrics = defineMetrics('mongo', {
  commands: counter({
    name: 'commands_total',
    help: 'Commands the embedded MongoDB server answered, by command and outcome (ok or error)',
    labels: ['command', 'outcome'],
  }),
  commandDuration: histogram({
    name: 'command_duration_seconds',
    help: 'Time from a decoded command to its reply (journal commit included), by command',
    labels: ['command'],
    buckets: [0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5],
  }),
  connections: gauge({
    name: 'connections',
    help: 'Client connections open on the embedded MongoDB server',
    collect: (metric) => {
      metric.set(
        {},
        total((server) => server.connections()),
      );
    },
  }),
  openCursors: gauge({
    name: 'open_cursors',
    help: 'Cursors the embedded MongoDB server holds for getMore (idle ones are reaped after 10 min)',
    collect: (metric) => {
      metric.set(
        {},
        total((server) => server.openCursors()),
      );
    },
  }),
  journalBytes: gauge({
    name: 'journal_bytes',
    help: 'Bytes in the embedded MongoDB server’s current journal (0 in memory); compaction resets it',
    collect: (metric) => {
      metric.set(
        {},
        total((server) => server.journalBytes()),
      );
    },
  }),
});

export function recordCommand(name: string, seconds: number, ok: boolean): void {
  const command = knownCommands.has(name) ? name : 'unknown';
  metrics.commands.inc({ command, outcome: ok ? 'ok' : 'error' });
  metrics.commandDuration.observe({ command }, seconds);
}

/** Reports `server` in the gauges until the returned function is called (at stop). */
export function watchServer(server: ServerGauges): () => void {
  running.add(server);
  return () => running.delete(server);
}
