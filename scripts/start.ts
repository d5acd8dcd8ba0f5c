/**
 * `npm start`: runs tickwatch on one machine.
 *
 * PLACEHOLDER until the delivery issue lands: it starts the four service processes, which so far
 * run only their lifecycle (configuration check, /healthz, /readyz, graceful shutdown). The
 * embedded MongoDB, the simulated market, the mail sink and the services' real work are wired in
 * by their issues; this script says so when it runs.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { nodeArguments } from '@tickwatch/infra/telemetry';

const services = ['gateway', 'collector', 'alerter', 'notifier'] as const;

console.log(
  [
    'tickwatch: foundation placeholder start.',
    'The four services start and serve /healthz and /readyz on ports 9100-9103, but they do not',
    'collect, evaluate or notify yet: that arrives with their issues (see README "Status").',
    'Press Ctrl+C to stop.',
    '',
  ].join('\n'),
);

const children: ChildProcess[] = services.map((service) => {
  const child = spawn(process.execPath, nodeArguments(`${service}/src/main.ts`), {
    cwd: new URL('..', import.meta.url),
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  child.on('exit', (code, signal) => {
    if (!stopping) {
      console.error(`${service} exited (${signal ?? String(code)}); stopping the others`);
      stop('SIGTERM');
      process.exitCode = 1;
    }
  });
  return child;
});

let stopping = false;
function stop(signal: NodeJS.Signals): void {
  stopping = true;
  for (const child of children) if (child.exitCode === null) child.kill(signal);
}
process.once('SIGINT', () => {
  stop('SIGTERM');
});
process.once('SIGTERM', () => {
  stop('SIGTERM');
});
