/**
 * The `node` arguments that run a repository script the way the containers run it.
 * Until the telemetry bootstrap lands (issue 8, `nodeArguments` in @tickwatch/infra/telemetry,
 * the one place that adds `--import`), this is the entry point alone.
 */
export const nodeArgumentsFor = (entry: string): string[] => [entry];
