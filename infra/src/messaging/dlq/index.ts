/** Operator tooling for dead-letter queues (scripts/dlq.ts is its command line). */
export {
  listDeadLetterQueues,
  purgeDeadLetters,
  replayDeadLetters,
  resolveDeadLetterQueue,
  showDeadLetters,
  type DeadLetterQueueInfo,
  type ReplayResult,
} from './dlq-operations.ts';
export { viewDeadLetter, type DeadLetterView, type DeathRecord } from './dead-letter-view.ts';
export { connectAmqplib as connectBroker } from '../amqplib-adapter.ts';
