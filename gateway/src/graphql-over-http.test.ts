/**
 * GraphQL over HTTP conformance (graphql-http's serverAudits, as Apollo's own integration test
 * suite runs them) against the live gateway, next to a bare Apollo on express 5 in the same
 * run: every MUST passes, and every SHOULD the bare server passes, ours passes too.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { expect } from 'chai';
import express from 'express';
import { serverAudits, type AuditResult } from 'graphql-http';
import { startTestGateway, type TestGateway } from './testing/harness.ts';

async function audit(url: string): Promise<AuditResult[]> {
  return Promise.all(serverAudits({ url }).map((a) => a.fn()));
}

describe('GraphQL over HTTP audits (graphql-http serverAudits)', () => {
  let gw: TestGateway;
  let bare: { server: Server; apollo: ApolloServer; url: string };

  before(async () => {
    gw = await startTestGateway();
    const apollo = new ApolloServer({
      typeDefs: 'type Query { ping: String }',
      resolvers: { Query: { ping: () => 'pong' } },
    });
    await apollo.start();
    const app = express();
    app.use('/graphql', express.json(), expressMiddleware(apollo));
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    bare = {
      server,
      apollo,
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`,
    };
  });
  after(async () => {
    await gw.stop();
    await bare.apollo.stop();
    bare.server.close();
  });

  it('passes every MUST, and every SHOULD bare Apollo passes', async () => {
    const ours = await audit(`${gw.url}/graphql`);
    const baseline = await audit(bare.url);
    const failedMusts = ours
      .filter((r) => r.name.startsWith('MUST') && r.status !== 'ok')
      .map((r) => r.name);
    expect(failedMusts).to.deep.equal([]);
    expect(ours.filter((r) => r.name.startsWith('MUST')).length).to.be.greaterThan(0);
    const bareShoulds = new Set(
      baseline.filter((r) => r.name.startsWith('SHOULD') && r.status === 'ok').map((r) => r.id),
    );
    const lostShoulds = ours
      .filter((r) => bareShoulds.has(r.id) && r.status !== 'ok')
      .map((r) => r.name);
    expect(lostShoulds).to.deep.equal([]);
  });
});
