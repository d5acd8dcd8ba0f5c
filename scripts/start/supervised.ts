/**
 * A child process kept running the way compose's `restart: unless-stopped` keeps a container:
 * when it exits on its own it is started again after an exponential backoff (reset once it has
 * stayed up a while), and every restart is logged. Only `stop()` ends it for good.
 */
import type { Logger } from 'pino';
import { exponentialBackoff } from '../../infra/src/messaging/backoff.ts';
import {
  describeExit,
  launchChild,
  signalGroup,
  type Child,
  type ChildSpec,
} from './child-process.ts';

export interface SupervisedOptions {
  readonly logger: Logger;
  /** First restart delay, ms (doubling up to `maxRestartDelayMs`). */
  readonly restartDelayMs?: number;
  readonly maxRestartDelayMs?: number;
  /** A run this long counts as healthy: the next crash restarts after the first delay again. */
  readonly stableAfterMs?: number;
  /** How long a stop waits for SIGTERM to work before SIGKILL. */
  readonly stopGraceMs?: number;
}

export interface Supervised {
  readonly name: string;
  /** The current process, if one is running. */
  pid(): number | undefined;
  /** Exits it did not ask for so far. */
  crashes(): number;
  stop(): Promise<void>;
}

export async function supervise(spec: ChildSpec, options: SupervisedOptions): Promise<Supervised> {
  const {
    logger,
    restartDelayMs = 1_000,
    maxRestartDelayMs = 30_000,
    stableAfterMs = 60_000,
    stopGraceMs = 20_000,
  } = options;
  const backoff = exponentialBackoff({ initialMs: restartDelayMs, maxMs: maxRestartDelayMs });
  let current: Child | undefined;
  let restartTimer: NodeJS.Timeout | undefined;
  let stopping = false;
  let crashes = 0;

  const run = async (): Promise<void> => {
    const startedAt = Date.now();
    const child = await launchChild(spec);
    current = child;
    logger.info({ process: spec.name, pid: child.pid }, `${spec.name} started (pid ${child.pid})`);
    void child.exited.then((exit) => {
      if (stopping) return;
      current = undefined;
      signalGroup(child.pid, 'SIGKILL'); // anything it started dies with it
      crashes += 1;
      if (Date.now() - startedAt >= stableAfterMs) backoff.reset();
      const delayMs = backoff.next();
      logger.warn(
        { process: spec.name, pid: child.pid, ...exit, restart: crashes, delayMs },
        `${spec.name} ${describeExit(exit)}; restarting in ${(delayMs / 1000).toFixed(1)} s (restart ${crashes})`,
      );
      restartTimer = setTimeout(() => {
        restartTimer = undefined;
        run().catch((error: unknown) => {
          logger.error({ process: spec.name, err: error }, `${spec.name} could not be restarted`);
        });
      }, delayMs);
    });
  };

  await run();
  return {
    name: spec.name,
    pid: () => current?.pid,
    crashes: () => crashes,
    async stop() {
      stopping = true;
      clearTimeout(restartTimer);
      const child = current;
      current = undefined;
      if (!child) return;
      const exit = await child.stop(stopGraceMs);
      logger.info({ process: spec.name }, `${spec.name} stopped (${describeExit(exit)})`);
    },
  };
}
