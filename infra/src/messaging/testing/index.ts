/**
 * Test fixtures for anything that talks to the broker: a vhost per suite, a TCP fault proxy,
 * rabbitmqctl helpers, valid sample events and messaging with short tiers.
 */
export { createTestVhost, TEST_BROKER_URL, type TestVhost } from './test-vhost.ts';
export { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
export {
  addVhost,
  clearQueuePolicy,
  closeAllConnections,
  deleteQueue,
  deleteVhost,
  rabbitmqctl,
  setQueuePolicy,
} from './rabbitmqctl.ts';
export {
  Disposer,
  holds,
  loggerThrowingOnce,
  TEST_TIERS,
  testMessaging,
  testTopology,
} from './fixtures.ts';
export {
  marketTime,
  priceUpdated,
  ruleUpdated,
  tickerPerPartition,
  userDeleted,
} from './events.ts';
export { describeOnMongoTargets, type MongoTarget } from './mongo-targets.ts';
