import { EventType } from '@tickwatch/contracts';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { startTestGateway, TEST_PASSWORD, type TestGateway } from './testing/harness.ts';

const LOGIN =
  'mutation ($e: String!, $p: String!) { login(email: $e, password: $p) { accessToken refreshToken } }';
const REFRESH =
  'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken refreshToken } }';
const userIdOf = (data: unknown) => (data as { userId: string }).userId;

describe('gateway accounts (register, tokens, limits, webhook, unsubscribe, deletion)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      overrides: { loginLimits: { freeFailures: 2, maxLockSeconds: 60 } },
    });
  });
  after(async () => {
    await gw.stop();
  });

  it('refuses weak passwords, bad emails and time zones with the field named, and writes nothing', async () => {
    const register = (email: string, password: string, timeZone = 'UTC') =>
      gw.gql(
        'mutation ($e: String!, $p: String!, $z: String) { register(email: $e, password: $p, timeZone: $z) { accessToken } }',
        {
          e: email,
          p: password,
          z: timeZone,
        },
      );
    const cases: [string, string, string, string][] = [
      ['not-an-email', TEST_PASSWORD, 'UTC', 'email'],
      ['short@example.com', 'short', 'UTC', 'password'],
      ['same@example.com', 'same@example.com', 'UTC', 'password'],
      ['common@example.com', 'password123', 'UTC', 'password'],
      ['zone@example.com', TEST_PASSWORD, 'Mars/Olympus', 'timeZone'],
    ];
    for (const [email, password, zone, field] of cases) {
      const answer = await register(email, password, zone);
      expect(answer.errors?.[0]?.extensions, email).to.include({ code: 'BAD_USER_INPUT', field });
    }
    expect(
      await gw.db.collection('users').countDocuments({ email: { $in: cases.map((c) => c[0]) } }),
    ).to.equal(0);
  });

  it('rotates refresh tokens, revokes the session when a used one comes back, and logs out', async () => {
    const user = await gw.register('rotate');
    const first = await gw.gql<{ refreshToken: { refreshToken: string; accessToken: string } }>(
      REFRESH,
      { t: user.refreshToken },
    );
    expect(first.errors, JSON.stringify(first.errors)).to.equal(undefined);
    const second = await gw.gql<{ refreshToken: { refreshToken: string } }>(REFRESH, {
      t: first.data!.refreshToken.refreshToken,
    });
    expect(second.errors).to.equal(undefined);
    // The first token again: someone else has it. The session ends for everyone.
    const reused = await gw.gql(REFRESH, { t: user.refreshToken });
    expect(reused.errors?.[0]?.extensions?.code).to.equal('UNAUTHENTICATED');
    const after = await gw.gql(REFRESH, { t: second.data!.refreshToken.refreshToken });
    expect(after.errors?.[0]?.message).to.match(/session has ended/);
    const me = await gw.gql('{ me { id } }', {}, first.data!.refreshToken.accessToken);
    expect(me.errors?.[0]?.extensions?.code).to.equal('UNAUTHENTICATED');

    const login = await gw.gql<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, {
      e: user.email,
      p: user.password,
    });
    expect(
      await gw.gql('mutation ($t: String!) { logout(refreshToken: $t) }', {
        t: login.data!.login.refreshToken,
      }),
    ).to.deep.include({
      data: { logout: true },
    });
    expect(
      (await gw.gql('{ me { id } }', {}, login.data!.login.accessToken)).errors?.[0]?.extensions
        ?.code,
    ).to.equal('UNAUTHENTICATED');
  });

  it('refuses forged and expired-looking tokens', async () => {
    const user = await gw.register('forge');
    const [header, payload] = user.accessToken.split('.');
    const forged = `${header}.${payload}.${'A'.repeat(43)}`;
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${payload}.`;
    for (const token of [forged, none, 'garbage']) {
      const answer = await gw.gql('{ me { id } }', {}, token);
      expect(answer.errors?.[0]?.extensions?.code, token).to.equal('UNAUTHENTICATED');
    }
  });

  it('locks an email after failed logins in a row, with Retry-After, and a success resets it', async () => {
    const user = await gw.register('locked');
    for (let i = 0; i < 2; i += 1) {
      const wrong = await gw.gql(LOGIN, { e: user.email, p: 'wrong password!!' });
      expect(wrong.errors?.[0]?.extensions?.code).to.equal('UNAUTHENTICATED');
    }
    const locked = await gw.gql(LOGIN, { e: user.email, p: user.password });
    expect(locked.status).to.equal(429);
    expect(locked.errors?.[0]?.extensions).to.include({ code: 'RATE_LIMITED' });
    expect(Number(locked.headers.get('retry-after'))).to.be.greaterThan(0);
    const unknown = await gw.gql(LOGIN, { e: 'nobody@example.com', p: 'wrong password!!' });
    expect(unknown.errors?.[0]?.message).to.equal('wrong email or password');
    const ok = await pollUntil('the lock to end', async () => {
      const answer = await gw.gql<{ login: { accessToken: string } }>(LOGIN, {
        e: user.email,
        p: user.password,
      });
      return answer.data?.login.accessToken;
    });
    expect(ok).to.be.a('string');
  });

  it('sets, rotates and clears the webhook, publishing the full preferences each time; the secret is shown once', async () => {
    const user = await gw.register('hook');
    const set = await gw.gql<{
      setWebhook: { url: string; secret: string; user: { webhookUrl: string } };
    }>(
      'mutation { setWebhook(url: "https://hooks.example.com/tickwatch") { url secret user { webhookUrl } } }',
      {},
      user.accessToken,
    );
    expect(set.errors).to.equal(undefined);
    const { secret } = set.data!.setWebhook;
    expect(secret).to.match(/^whsec_[A-Za-z0-9_-]{43}$/);
    const changed = await gw.waitForEvent(
      EventType.userPreferencesChanged,
      (e) => userIdOf(e.data) === user.id,
    );
    expect(changed.event.data).to.include({
      webhookUrl: 'https://hooks.example.com/tickwatch',
      webhookSecret: secret,
      version: 1,
    });

    const rotated = await gw.gql<{ rotateWebhookSecret: { secret: string } }>(
      'mutation { rotateWebhookSecret { secret } }',
      {},
      user.accessToken,
    );
    expect(rotated.data!.rotateWebhookSecret.secret).to.not.equal(secret);
    const bad = await gw.gql(
      'mutation { setWebhook(url: "ftp://example.com/x") { url } }',
      {},
      user.accessToken,
    );
    expect(bad.errors?.[0]?.extensions).to.include({ code: 'BAD_USER_INPUT', field: 'url' });

    const cleared = await gw.gql<{ clearWebhook: { webhookUrl: null } }>(
      'mutation { clearWebhook { webhookUrl } }',
      {},
      user.accessToken,
    );
    expect(cleared.data!.clearWebhook.webhookUrl).to.equal(null);
    const last = await pollUntil('three preference events', () => {
      const events = gw.eventsOf(
        EventType.userPreferencesChanged,
        (e) => userIdOf(e.data) === user.id,
      );
      return events.length === 3 && events;
    });
    expect(last.map((o) => (o.event.data as { version: number }).version)).to.deep.equal([1, 2, 3]);
    expect(last[2]!.event.data).to.include({ webhookUrl: null, webhookSecret: null });
  });

  it('unsubscribes with the emailed link: GET only asks, POST (one-click) changes and publishes, a tampered token changes nothing', async () => {
    const user = await gw.register('unsub');
    const links = createLinkSigner({ key: gw.config.LINK_SIGNING_KEY });
    const token = await links.sign('unsubscribe', user.id, { ttlSeconds: 365 * 86_400 });
    const link = `${gw.url}/unsubscribe?token=${token}`;

    const page = await fetch(link);
    expect(page.status).to.equal(200);
    expect(await page.text()).to.include('<form method="post"');
    const tampered = await fetch(`${link.slice(0, -2)}xx`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(tampered.status).to.equal(400);
    const me = await gw.gql<{ me: { alertsUnsubscribed: boolean } }>(
      '{ me { alertsUnsubscribed } }',
      {},
      user.accessToken,
    );
    expect(me.data!.me.alertsUnsubscribed).to.equal(false);

    const done = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'List-Unsubscribe=One-Click',
    });
    expect(done.status).to.equal(200);
    const event = await gw.waitForEvent(
      EventType.userPreferencesChanged,
      (e) => userIdOf(e.data) === user.id,
    );
    expect(event.event.data).to.include({ alertsUnsubscribed: true, email: user.email });
    const after = await gw.gql<{ me: { alertsUnsubscribed: boolean } }>(
      '{ me { alertsUnsubscribed } }',
      {},
      user.accessToken,
    );
    expect(after.data!.me.alertsUnsubscribed).to.equal(true);
  });

  it('deletes an account for good: rules withdrawn, watches removed, user.deleted, then no document at all', async () => {
    const user = await gw.register('leaver');
    const rule = await gw.gql<{ createAlertRule: { id: string } }>(
      'mutation { createAlertRule(input: { ticker: "TSLA", condition: { below: { threshold: 150 } } }) { id } }',
      {},
      user.accessToken,
    );
    await gw.gql('mutation { watchTicker(ticker: "AMD") { id } }', {}, user.accessToken);
    const wrong = await gw.gql(
      'mutation { deleteAccount(password: "not the password") }',
      {},
      user.accessToken,
    );
    expect(wrong.errors?.[0]?.extensions?.code).to.equal('FORBIDDEN');

    const deleted = await gw.gql(
      'mutation ($p: String!) { deleteAccount(password: $p) }',
      { p: user.password },
      user.accessToken,
    );
    expect(deleted.data).to.deep.equal({ deleteAccount: true });
    const ruleId = rule.data!.createAlertRule.id;
    await gw.waitForEvent(EventType.userDeleted, (e) => userIdOf(e.data) === user.id);
    const withdrawn = gw.eventsOf(
      EventType.ruleDeleted,
      (e) => (e.data as { rule: { id: string } }).rule.id === ruleId,
    );
    expect(
      withdrawn.map((o) => (o.event.data as { rule: { version: number } }).rule.version),
    ).to.deep.equal([2]);
    expect(gw.eventsOf(EventType.watchRemoved, (e) => userIdOf(e.data) === user.id)).to.have.length(
      1,
    );
    // The order the collector sees: the rule and the watch go before the user.
    const order = gw.observed
      .filter(
        (o) => o.queue === 'collector.watchlist' && JSON.stringify(o.event.data).includes(user.id),
      )
      .map((o) => o.event.type);
    expect(order.slice(-3)).to.deep.equal([
      EventType.ruleDeleted,
      EventType.watchRemoved,
      EventType.userDeleted,
    ]);
    await pollUntil(
      'the tombstone removed',
      async () => (await gw.db.collection('users').countDocuments({ _id: user.id as never })) === 0,
    );
    const me = await gw.gql('{ me { id } }', {}, user.accessToken);
    expect(me.errors?.[0]?.extensions?.code).to.equal('UNAUTHENTICATED');
    const login = await gw.gql(LOGIN, { e: user.email, p: user.password });
    expect(login.errors?.[0]?.extensions?.code).to.equal('UNAUTHENTICATED');
  });
});
