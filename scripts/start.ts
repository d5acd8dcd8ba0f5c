/**
 * `npm start`: tickwatch on one machine, no Docker (README "Quick start"). The supervisor is in
 * scripts/start/; this file owns the process: signals, output and the exit status.
 *
 * The signal handlers come first and the rest is imported after them, so a Ctrl-C or SIGTERM
 * during the second it takes to load still ends in an orderly stop with status 0.
 */
import type { Supervisor } from './start/supervisor.ts';

/** Filled in once loaded: what a signal stops, and the last resort for a second signal. */
const loaded: { supervisor?: Supervisor; killEverything?: () => void } = {};
let signals = 0;
// SIGHUP: the terminal npm start ran in was closed.
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    signals += 1;
    const { supervisor, killEverything } = loaded;
    if (!supervisor) process.exit(0); // nothing started yet
    if (signals > 1) {
      process.stderr.write(`\ntickwatch: second ${signal}: killing every process now\n`);
      killEverything?.();
      process.exit(130);
    }
    void supervisor.stop().then(() => process.exit(0));
  });
}

const { killAllChildren } = await import('./start/child-process.ts');
const { createLogOutput } = await import('./start/log-output.ts');
const { supervisorLogger } = await import('./start/logger.ts');
const { loadStartConfig } = await import('./start/settings.ts');
const { StartError } = await import('./start/start-error.ts');
const { startSupervisor } = await import('./start/supervisor.ts');
loaded.killEverything = killAllChildren;
process.on('exit', killAllChildren);
process.stdout.on('error', () => {}); // a closed pipe (`| head`) must not kill the supervisor

const config = (() => {
  try {
    return loadStartConfig(process.env);
  } catch (error) {
    if (!(error instanceof StartError)) throw error;
    process.stderr.write(`tickwatch: ${error.message}\n`);
    process.exit(error.exitCode);
  }
})();
const output = createLogOutput({
  format: config.START_LOG_FORMAT,
  interactive: process.stdout.isTTY,
  write: (text) => process.stdout.write(text),
});
const logger = supervisorLogger(output, config.LOG_LEVEL);
const running = startSupervisor(config, process.env, output, logger);
loaded.supervisor = running;

running.started.catch(async (error: unknown) => {
  if (error instanceof StartError && error.exitCode === 0) return; // stopped by a signal
  if (error instanceof StartError) {
    logger.fatal({ reason: error.message }, 'cannot start');
    process.stderr.write(`\ntickwatch: ${error.message}\n`);
  } else {
    logger.fatal({ err: error }, 'start-up failed');
  }
  await running.stop();
  process.exit(error instanceof StartError ? error.exitCode : 1);
});
