/**
 * The telemetry bootstrap every tickwatch process starts with, before its entry point loads:
 *
 *   node --import=@tickwatch/infra/telemetry/register gateway/src/main.ts
 *
 * (the flag lives in one place, launch.ts; npm scripts, start.ts, the entry-point tests and the
 * container image use it). When tracing is wanted (tracing-settings.ts) it registers
 * OpenTelemetry's ESM loader hook, so the `import`s that follow are patched by the
 * instrumentations, and starts the SDK. Otherwise it does nothing: no hook, no SDK.
 */
import { register } from 'node:module';
import { isMainThread } from 'node:worker_threads';
import { instanceId } from './instance.ts';
import { serviceNameOf, tracingWanted } from './tracing-settings.ts';

if (isMainThread && tracingWanted(process.env)) {
  // Only the modules the instrumentations hook are wrapped by import-in-the-middle (not every
  // module of the process); the loader thread learns them through this channel.
  const { createAddHookMessageChannel } = await import('import-in-the-middle');
  const { registerOptions, waitForAllMessagesAcknowledged } = createAddHookMessageChannel();
  // module.register is only documentation-deprecated in Node 24 (no warning); OpenTelemetry's
  // hook.mjs is an asynchronous loader, which module.registerHooks() cannot run.
  // eslint-disable-next-line @typescript-eslint/no-deprecated
  register('@opentelemetry/instrumentation/hook.mjs', import.meta.url, registerOptions);

  const [{ startTracing }, { setActiveTracing, shutdownTelemetry }, { createLogger }, { version }] =
    await Promise.all([
      import('./tracing.ts'),
      import('./sdk-handle.ts'),
      import('../log.ts'),
      import('./version.ts'),
    ]);
  const serviceName = serviceNameOf(process.argv[1], process.env);
  const tracing = startTracing({
    serviceName,
    serviceVersion: version,
    instanceId: instanceId(),
    logger: createLogger({ name: serviceName }),
  });
  setActiveTracing(tracing);
  // A tool that simply runs to its end never calls shutdown: flush when the loop empties.
  process.once('beforeExit', () => void shutdownTelemetry());
  await waitForAllMessagesAcknowledged();
}
