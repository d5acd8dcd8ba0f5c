/**
 * The gateway as the benchmarks run it: `gateway/src/main.ts` in a process of its own (so its
 * CPU is its own), on free ports, against the benchmark's MongoDB and vhost, with a production
 * password hash cost. Resolves once it listens, with its GraphQL URL.
 */
import { nodeArguments } from '@tickwatch/infra/telemetry';
import { startChild, type Child } from './child.ts';

export async function startGatewayProcess(options: {
  readonly mongoUrl: string;
  readonly rabbitmqUrl: string;
  /** Settings of the benchmark's own (limits it must lift). */
  readonly env?: Readonly<Record<string, string>>;
  /** Node options before the entry point (e.g. --cpu-prof). */
  readonly nodeOptions?: readonly string[];
}): Promise<{ readonly child: Child; readonly url: string }> {
  const child = await startChild(
    [...(options.nodeOptions ?? []), ...nodeArguments('gateway/src/main.ts')],
    {
      env: {
        GATEWAY_PORT: '0',
        GATEWAY_OPS_PORT: '0',
        MONGO_URL: options.mongoUrl,
        RABBITMQ_URL: options.rabbitmqUrl,
        LOG_LEVEL: 'info',
        PASSWORD_HASH_COST: '14',
        ...options.env,
      },
      ready: (line) => line.includes('GraphQL gateway listening'),
    },
  );
  return { child, url: (JSON.parse(child.line) as { url: string }).url };
}
