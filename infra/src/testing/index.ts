export { pollUntil, type PollOptions } from './poll-until.ts';
