/**
 * How every tickwatch process is started: Node loads the telemetry bootstrap (register.ts)
 * before the entry point, so the entry point's imports are instrumented. This constant is the
 * one definition; npm scripts, the container image's ENTRYPOINT, scripts/start.ts and the
 * entry-point tests use it, and launch.test.ts fails when an entry point does not.
 */
export const TELEMETRY_IMPORT = '--import=@tickwatch/infra/telemetry/register';

/** `node` arguments that run `entry` (a path) with telemetry. */
export function nodeArguments(entry: string, ...args: string[]): string[] {
  return [TELEMETRY_IMPORT, entry, ...args];
}
