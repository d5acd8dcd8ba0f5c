/**
 * A background pass (outbox sweep, digest pass, tombstone reaper) run every `intervalMs` until
 * stopped. Passes never overlap: the next one is scheduled when the previous one settles, so a
 * slow database cannot pile passes up. A failed pass goes to `onError` and the next one runs on
 * schedule. The timer does not keep the process alive; `stop()` waits for a pass in progress,
 * so a service's shutdown never closes the database under it.
 */
export interface PeriodicTask {
  readonly start: () => void;
  readonly stop: () => Promise<void>;
}

export function periodic(
  pass: () => Promise<unknown>,
  options: { readonly intervalMs: number; readonly onError: (error: unknown) => void },
): PeriodicTask {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<unknown> | undefined;
  let stopped = true;
  const schedule = (): void => {
    if (stopped) return;
    timer = setTimeout(() => {
      running = pass().catch(options.onError).finally(schedule);
    }, options.intervalMs).unref();
  };
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
