/**
 * The baseline of the gateway benchmark, run as its own process: Apollo Server 5 on express 5
 * with the gateway's schema (gateway/src/schema.graphql), `quote` resolving a constant, no
 * auth, limits, metrics or database. Prints `port <n>` once listening.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { makeExecutableSchema } from '@graphql-tools/schema';
import express from 'express';
import { typeDefs } from '../../gateway/src/graphql/schema.ts';

const quote = {
  ticker: 'AAPL',
  status: 'AVAILABLE',
  quote: { ticker: 'AAPL', price: 201.37, currency: 'USD', marketTime: '2026-10-02T20:00:01.000Z' },
};
const apollo = new ApolloServer({
  schema: makeExecutableSchema({ typeDefs, resolvers: { Query: { quote: () => quote } } }),
  stopOnTerminationSignals: true,
});
await apollo.start();
const app = express();
app.use('/graphql', express.json(), expressMiddleware(apollo));
const server = createServer(app).listen(0, '127.0.0.1', () => {
  console.log(`port ${(server.address() as AddressInfo).port}`);
});
