/**
 * The broker vhost and the embedded MongoDB that a suite running real service processes
 * needs: started in the suite's `before` hook, removed in its `after` hook.
 *
 *   describe('alerter process', () => {
 *     const backends = useTestBackends('alerter-main');
 *     // in a test or hook: backends.mongo.uri, backends.vhost.url
 *   });
 */
import { createLogger } from '../log.ts';
import { createTestVhost, type TestVhost } from '../messaging/testing/index.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../mongo/embedded/index.ts';

export interface TestBackends {
  readonly mongo: EmbeddedMongo;
  readonly vhost: TestVhost;
}

export function useTestBackends(label: string): TestBackends {
  let started: TestBackends | undefined;
  before(async () => {
    const vhost = await createTestVhost(label);
    const mongo = await startEmbeddedMongo({
      port: 0,
      logger: createLogger({ name: 'mongo', level: 'silent' }),
    });
    started = { vhost, mongo };
  });
  after(async () => {
    await started?.vhost.delete();
    await started?.mongo.stop();
  });
  const running = () => {
    if (!started) throw new Error(`the ${label} backends start in the suite's before hook`);
    return started;
  };
  return {
    get mongo() {
      return running().mongo;
    },
    get vhost() {
      return running().vhost;
    },
  };
}
