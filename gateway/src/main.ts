/**
 * The gateway process: the GraphQL gateway (commands, queries, GraphiQL, live subscriptions
 * over graphql-ws). Wiring only: configuration → infrastructure → the gateway (gateway.ts).
 */
import { runMain } from '@tickwatch/infra/service';
import { settings } from './config.ts';
import { startGateway } from './gateway.ts';

await runMain('gateway', settings, 'GATEWAY_OPS_PORT', async (context, config) => {
  await startGateway(context, config);
});
