/**
 * The running SDK, if the bootstrap started one: the one piece of state shared by register.ts
 * (which starts tracing before the entry point loads) and the service lifecycle (which flushes
 * it on shutdown).
 */
let active: { shutdown(): Promise<void> } | undefined;
let shuttingDown: Promise<void> | undefined;

export function setActiveTracing(tracing: { shutdown(): Promise<void> }): void {
  active = tracing;
}

/**
 * Flushes queued spans and stops tracing, giving up after `timeoutMs` (an unreachable collector
 * must not hold a shutdown past its deadline). Idempotent; a no-op when tracing is off.
 */
export function shutdownTelemetry(timeoutMs = 5_000): Promise<void> {
  const tracing = active;
  if (!tracing) return Promise.resolve();
  shuttingDown ??= tracing.shutdown().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, timeoutMs);
    timer.unref();
  });
  return Promise.race([shuttingDown, timeout]).finally(() => {
    clearTimeout(timer);
  });
}
