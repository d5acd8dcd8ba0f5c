export { pollUntil, type PollOptions } from './poll-until.ts';
export { describeEntryPoint, launchService, logLines, type EntryPointSpec } from './entry-point.ts';
export { useTestBackends, type TestBackends } from './backends.ts';
