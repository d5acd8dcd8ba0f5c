export { pollUntil, type PollOptions } from './poll-until.ts';
export { describeEntryPoint, type EntryPointSpec } from './entry-point.ts';
