import { randomUUID } from 'node:crypto';
import { createEvent, derivedEventId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLogger } from '@tickwatch/infra/log';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { GraphQLError } from 'graphql';
import { createFormatError } from './graphql/format-error.ts';
import { startTestGateway, type TestGateway, type TestUser } from './testing/harness.ts';

describe('gateway security', () => {
  let gw: TestGateway;
  let alice: TestUser;
  let bob: TestUser;
  let aliceRule: string;
  let aliceAlert: string;

  before(async () => {
    gw = await startTestGateway();
    alice = await gw.register('alice');
    bob = await gw.register('bob');
    const created = await gw.gql<{ createAlertRule: { id: string } }>(
      'mutation { createAlertRule(input: { ticker: "AAPL", condition: { above: { threshold: 1 } } }) { id } }',
      {},
      alice.accessToken,
    );
    aliceRule = created.data!.createAlertRule.id;
    await gw.gql('mutation { watchTicker(ticker: "AAPL") { id } }', {}, alice.accessToken);
    aliceAlert = derivedEventId(EventType.alertTriggered, [aliceRule, 1, 1]);
    await gw.messaging.publish(
      createEvent(
        EventType.alertTriggered,
        {
          ...exampleData[EventType.alertTriggered],
          alertId: aliceAlert,
          ruleId: aliceRule,
          userId: alice.id,
        },
        { source: 'tickwatch/test', id: aliceAlert },
      ),
    );
    await gw.messaging.publish(
      createEvent(
        EventType.notificationSent,
        {
          deliveryId: randomUUID(),
          alertId: aliceAlert,
          userId: alice.id,
          channel: 'EMAIL',
          attempts: 1,
          messageId: null,
        },
        { source: 'tickwatch/test' },
      ),
    );
    await pollUntil('alice sees her alert', async () => {
      const answer = await gw.gql<{ alerts: { edges: unknown[] } }>(
        '{ alerts { edges { cursor } } notifications { edges { cursor } } }',
        {},
        alice.accessToken,
      );
      return answer.data?.alerts.edges.length === 1;
    });
  });
  after(async () => {
    await gw.stop();
  });

  describe('authorization matrix: Bob names Alice’s data in every operation', () => {
    const aliceDoc = () => gw.db.collection('users').findOne({ _id: alice.id as never });
    const input = '{ ticker: "AAPL", condition: { below: { threshold: 5 } } }';
    const attempts: [string, string, (errors: unknown, data: unknown) => void][] = [
      [
        'alertRule',
        'query ($id: ID!) { alertRule(id: $id) { id } }',
        (_, data) => expect(data).to.deep.equal({ alertRule: null }),
      ],
      [
        'alertRules',
        '{ alertRules { id } }',
        (_, data) => expect(data).to.deep.equal({ alertRules: [] }),
      ],
      [
        'watchlist',
        '{ watchlist { ticker } }',
        (_, data) => expect(data).to.deep.equal({ watchlist: [] }),
      ],
      [
        'alerts',
        '{ alerts { edges { node { id } } } }',
        (_, data) => expect(data).to.deep.equal({ alerts: { edges: [] } }),
      ],
      [
        'notifications',
        '{ notifications { edges { node { id } } } }',
        (_, data) => expect(data).to.deep.equal({ notifications: { edges: [] } }),
      ],
      ['me', '{ me { id } }', (_, data) => expect(data).to.deep.equal({ me: { id: bob.id } })],
      [
        'updateAlertRule',
        `mutation ($id: ID!) { updateAlertRule(id: $id, expectedVersion: 1, input: ${input}) { id } }`,
        notFound,
      ],
      ['deleteAlertRule', 'mutation ($id: ID!) { deleteAlertRule(id: $id) }', notFound],
      ['pauseAlertRule', 'mutation ($id: ID!) { pauseAlertRule(id: $id) { id } }', notFound],
      ['resumeAlertRule', 'mutation ($id: ID!) { resumeAlertRule(id: $id) { id } }', notFound],
      [
        'unwatchTicker',
        'mutation { unwatchTicker(ticker: "AAPL") }',
        (_, data) => expect(data).to.deep.equal({ unwatchTicker: false }),
      ],
      [
        'deleteAccount',
        `mutation { deleteAccount(password: "${'x'.repeat(12)}") }`,
        (errors) => expect(codeOf(errors)).to.equal('FORBIDDEN'),
      ],
    ];
    function codeOf(errors: unknown): unknown {
      return (errors as { extensions: { code: string } }[] | undefined)?.[0]?.extensions.code;
    }
    function notFound(errors: unknown): void {
      expect(codeOf(errors)).to.equal('NOT_FOUND');
    }

    for (const [name, query, check] of attempts) {
      it(`${name}: Bob gets nothing of Alice's, and nothing of hers changes`, async () => {
        const before = await aliceDoc();
        const answer = await gw.gql(query, { id: aliceRule }, bob.accessToken);
        check(answer.errors, answer.data);
        const after = await aliceDoc();
        expect(after?.version).to.equal(before?.version);
        expect(after?.rules).to.deep.equal(before?.rules);
        expect(JSON.stringify(answer)).to.not.include(aliceAlert);
      });
    }

    it('every operation but ping, register, login, refreshToken, logout and the emailed links’ needs a token', async () => {
      const open = [
        'ping',
        'register',
        'login',
        'refreshToken',
        'logout',
        // A signed link's token is the credential, or (reset) the answer reveals nothing.
        'verifyEmail',
        'requestPasswordReset',
        'resetPassword',
        'confirmEmailChange',
      ];
      const fields = (
        await gw.gql<{
          __schema: {
            queryType: {
              fields: { name: string; args: { name: string; type: { kind: string } }[] }[];
            };
            mutationType: { fields: { name: string }[] };
          };
        }>('{ __schema { queryType { fields { name } } mutationType { fields { name } } } }')
      ).data!.__schema;
      const protectedOps = [...fields.queryType.fields, ...fields.mutationType.fields]
        .map((f) => f.name)
        .filter((n) => !open.includes(n));
      expect(protectedOps.length).to.be.greaterThan(20);
      const samples: Record<string, string> = {
        me: '{ me { id } }',
        alertRules: '{ alertRules { id } }',
        alertRule: `{ alertRule(id: "${aliceRule}") { id } }`,
        watchlist: '{ watchlist { id } }',
        quote: '{ quote(ticker: "AAPL") { status } }',
        quotes: '{ quotes(tickers: ["AAPL"]) { status } }',
        averagePrice: '{ averagePrice(ticker: "AAPL", days: 1) { sampleCount } }',
        priceHistory:
          '{ priceHistory(ticker: "AAPL", from: "2026-01-01T00:00:00Z", to: "2026-01-01T01:00:00Z") { start } }',
        movingAverages: '{ movingAverages(ticker: "AAPL") { average } }',
        alerts: '{ alerts { edges { cursor } } }',
        notifications: '{ notifications { edges { cursor } } }',
        createAlertRule: `mutation { createAlertRule(input: ${input}) { id } }`,
        updateAlertRule: `mutation { updateAlertRule(id: "${aliceRule}", expectedVersion: 1, input: ${input}) { id } }`,
        deleteAlertRule: `mutation { deleteAlertRule(id: "${aliceRule}") }`,
        pauseAlertRule: `mutation { pauseAlertRule(id: "${aliceRule}") { id } }`,
        resumeAlertRule: `mutation { resumeAlertRule(id: "${aliceRule}") { id } }`,
        setThresholds: 'mutation { setThresholds(ticker: "AAPL", low: 1, high: 2) { id } }',
        watchTicker: 'mutation { watchTicker(ticker: "AAPL") { id } }',
        unwatchTicker: 'mutation { unwatchTicker(ticker: "AAPL") }',
        sendTestNotification: 'mutation { sendTestNotification { requestId } }',
        setWebhook: 'mutation { setWebhook(url: "https://example.com/h") { secret } }',
        rotateWebhookSecret: 'mutation { rotateWebhookSecret { secret } }',
        clearWebhook: 'mutation { clearWebhook { id } }',
        deleteAccount: 'mutation { deleteAccount(password: "whatever-it-is") }',
        resendVerificationEmail: 'mutation { resendVerificationEmail }',
        changePassword:
          'mutation { changePassword(currentPassword: "whatever-it-is", newPassword: "another-one-123") }',
        changeEmail:
          'mutation { changeEmail(newEmail: "x@example.com", password: "whatever-it-is") { id } }',
        updatePreferences: 'mutation { updatePreferences(input: { maxAlertsPerHour: 5 }) { id } }',
      };
      expect(Object.keys(samples).sort()).to.deep.equal([...protectedOps].sort());
      for (const [name, query] of Object.entries(samples)) {
        const answer = await gw.gql(query);
        expect(answer.errors?.[0]?.extensions?.code, name).to.equal('UNAUTHENTICATED');
      }
      expect(
        (await gw.db.collection('users').findOne({ _id: alice.id as never }))?.rules,
      ).to.have.length(1);
    });
  });

  describe('query limits: refused before anything runs, fast, with a 4xx and a GraphQL error', () => {
    const post = async (body: string) => {
      const started = performance.now();
      const response = await fetch(`${gw.url}/graphql`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${alice.accessToken}`,
        },
        body,
      });
      const text = await response.text();
      return {
        status: response.status,
        body: JSON.parse(text) as { errors?: { message: string }[] },
        ms: performance.now() - started,
      };
    };

    it('a 1 MB query', async () => {
      const answer = await post(
        JSON.stringify({ query: `{ ping { service } } # ${'x'.repeat(1_000_000)}` }),
      );
      expect(answer.status).to.equal(413);
      expect(answer.body.errors?.[0]?.message).to.match(/larger than/);
    });

    it('10,000 aliases', async () => {
      // Under the body limit (64 KiB) too: the parser stops at its size and token limits.
      for (const alias of ['a', 'alias']) {
        const query = `{ ${Array.from({ length: 10_000 }, () => `${alias}:__typename`).join(' ')} }`;
        const answer = await post(JSON.stringify({ query }));
        expect(answer.status, alias).to.be.oneOf([400, 413]);
        expect(answer.body.errors?.[0]?.message, alias).to.be.a('string');
      }
    });

    it('too many aliases, too deep, too many directives', async () => {
      const aliases = `{ ${Array.from({ length: 20 }, (_, i) => `p${i}: ping { service }`).join(' ')} }`;
      const deep =
        '{ alerts { edges { node { deliveries { id } } } } __type(name: "Query") { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } } }';
      const directives = `{ ping { service ${'@include(if: true) '.repeat(30)} } }`;
      for (const query of [aliases, deep, directives]) {
        const answer = await post(JSON.stringify({ query }));
        expect(answer.status, query.slice(0, 40)).to.equal(400);
        expect(answer.body.errors?.length, query.slice(0, 40)).to.be.greaterThan(0);
      }
    });

    it('refuses simple GET requests that could be cross-site (CSRF prevention)', async () => {
      const response = await fetch(
        `${gw.url}/graphql?query=${encodeURIComponent('{ ping { service } }')}`,
        {
          headers: { accept: 'application/json' },
        },
      );
      expect(response.status).to.equal(400);
      const preflighted = await fetch(
        `${gw.url}/graphql?query=${encodeURIComponent('{ ping { service } }')}`,
        {
          headers: { accept: 'application/json', 'apollo-require-preflight': 'true' },
        },
      );
      expect(preflighted.status).to.equal(200);
    });
  });

  describe('errors in production', () => {
    const logger = createLogger({ name: 'test', level: 'silent' });
    it('masks errors without a code, with an id, and never sends a stack trace', () => {
      const format = createFormatError({ logger, production: true });
      const internal = format(
        {
          message: 'MongoServerError: connection to 10.0.0.3 lost',
          extensions: { code: 'INTERNAL_SERVER_ERROR', stacktrace: ['at x'] },
        },
        new Error('connection to 10.0.0.3 lost'),
      );
      expect(internal.message).to.match(/^internal error \(id [0-9a-f-]{36}\)$/);
      expect(internal.extensions).to.not.have.property('stacktrace');
      const coded = format(
        {
          message: 'x: bad',
          extensions: { code: 'BAD_USER_INPUT', field: 'x', stacktrace: ['at y'] },
        },
        new GraphQLError('x'),
      );
      expect(coded).to.deep.equal({
        message: 'x: bad',
        extensions: { code: 'BAD_USER_INPUT', field: 'x' },
      });
      const suggestion = format(
        {
          message: 'Cannot query field "pong" on type "Query". Did you mean "ping"?',
          extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
        },
        null,
      );
      expect(suggestion.message).to.equal('Cannot query field "pong" on type "Query".');
    });
  });
});
