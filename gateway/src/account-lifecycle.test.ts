import { EventType } from '@tickwatch/contracts';
import { createLinkSigner, DEVELOPMENT_LINK_KEY } from '@tickwatch/infra/signed-links';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import {
  startTestGateway,
  TEST_PASSWORD,
  type TestGateway,
  type TestUser,
} from './testing/harness.ts';
import {
  about,
  accountEmailOf,
  CHANGE_EMAIL,
  LOGIN,
  REQUEST_RESET,
  RESEND,
  RESET,
  tokenOf,
  VERIFY,
} from './testing/account-operations.ts';

const ME = '{ me { email emailVerified pendingEmail timeZone maxAlertsPerHour } }';
const REFRESH = 'mutation ($t: String!) { refreshToken(refreshToken: $t) { accessToken } }';
const CHANGE_PASSWORD =
  'mutation ($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }';
const PREFERENCES =
  'mutation ($i: PreferencesInput!) { updatePreferences(input: $i) { timeZone maxAlertsPerHour } }';

describe('account lifecycle (verification, password reset, password and email change, preferences)', () => {
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({ env: { REQUIRE_EMAIL_VERIFICATION: 'true' } });
  });
  after(async () => {
    await gw.stop();
  });

  /** The n-th account email of `type` for `userId`. */
  const emailOf = async (type: string, userId: string, nth = 1) =>
    accountEmailOf(
      await pollUntil(`${type} #${nth}`, () => gw.eventsOf(type, about(userId))[nth - 1]?.event),
    );
  /** The link's page on the test gateway (its PUBLIC_BASE_URL is the default). */
  const open = (link: string, init?: RequestInit) => {
    const url = new URL(link);
    return fetch(`${gw.url}${url.pathname}${url.search}`, init);
  };
  const post = (link: string, form: Record<string, string> = {}) =>
    open(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
    });
  const me = async (user: Pick<TestUser, 'accessToken'>) =>
    (await gw.gql<{ me: Record<string, unknown> }>(ME, {}, user.accessToken)).data?.me;
  const errorOf = (answer: { errors?: { extensions?: Record<string, unknown> }[] }) =>
    answer.errors?.[0]?.extensions;

  it('registers unverified, emails a link; GET only asks, POST verifies and publishes', async () => {
    const user = await gw.register('verify');
    expect(await me(user)).to.include({ emailVerified: false });
    // Published by the outbox relay after the answer: waited for.
    const registered = await gw.waitForEvent(EventType.userRegistered, about(user.id));
    expect(registered.event.data).to.include({ emailVerified: false });

    const email = await emailOf(EventType.accountVerificationRequested, user.id);
    expect(email.email).to.equal(user.email);
    expect(new URL(email.link).pathname).to.equal('/verify-email');
    expect(Date.parse(email.expiresAt)).to.be.greaterThan(Date.now() + 47 * 3600_000);

    const asked = await open(email.link);
    expect(asked.status).to.equal(200);
    expect(await asked.text()).to.include('<form method="post" action="/verify-email?token=');
    expect(await me(user)).to.include({ emailVerified: false });

    const done = await post(email.link);
    expect(done.status).to.equal(200);
    expect(await done.text()).to.include('Address verified');
    expect(await me(user)).to.include({ emailVerified: true });
    const changed = await gw.waitForEvent(EventType.userPreferencesChanged, about(user.id));
    expect(changed.event.data).to.include({ emailVerified: true, email: user.email });

    // Following it again changes nothing and says so the same way.
    expect((await post(email.link)).status).to.equal(200);
    expect(gw.eventsOf(EventType.userPreferencesChanged, about(user.id))).to.have.length(1);
    expect(errorOf(await gw.gql(RESEND, {}, user.accessToken))).to.include({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
  });

  it('refuses tampered, expired and other-purpose links, on the page and in the mutation', async () => {
    const user = await gw.register('tamper');
    const { link } = await emailOf(EventType.accountVerificationRequested, user.id);
    const token = tokenOf(link);
    const signer = createLinkSigner({ key: DEVELOPMENT_LINK_KEY });
    const expired = await signer.sign('verify-email', user.id, {
      ttlSeconds: -60,
      claims: { email: user.email },
    });
    const unsubscribe = await signer.sign('unsubscribe', user.id, { ttlSeconds: 60 });
    const forged = await createLinkSigner({ key: 'x'.repeat(40) }).sign('verify-email', user.id, {
      ttlSeconds: 60,
      claims: { email: user.email },
    });
    const tampered = `${token.slice(0, -3)}${token.endsWith('AAA') ? 'BBB' : 'AAA'}`;
    for (const [bad, reason] of [
      [tampered, 'not valid'],
      [forged, 'not valid'],
      [unsubscribe, 'not valid'],
      [expired, 'expired'],
    ] as const) {
      const page = await fetch(`${gw.url}/verify-email?token=${encodeURIComponent(bad)}`, {
        method: 'POST',
      });
      expect(page.status).to.equal(400);
      expect(await page.text()).to.include(reason);
      const answer = errorOf(await gw.gql(VERIFY, { t: bad }));
      expect(answer).to.include({ code: 'BAD_USER_INPUT', field: 'token' });
      expect(String(answer?.reason)).to.include(reason);
    }
    expect(await me(user)).to.include({ emailVerified: false });
    expect((await gw.gql(VERIFY, { t: token })).data).to.deep.equal({ verifyEmail: true });
    expect(await me(user)).to.include({ emailVerified: true });
  });

  it('resends the verification email at most 5 times an hour', async () => {
    const user = await gw.register('resend');
    for (let i = 0; i < 5; i += 1) {
      const answer = await gw.gql(RESEND, {}, user.accessToken);
      expect(answer.errors, JSON.stringify(answer.errors)).to.equal(undefined);
    }
    const limited = await gw.gql(RESEND, {}, user.accessToken);
    expect(limited.status).to.equal(429);
    expect(errorOf(limited)?.code).to.equal('RATE_LIMITED');
    // The first email and five resends, each with a link of its own that works.
    const last = await emailOf(EventType.accountVerificationRequested, user.id, 6);
    expect(gw.eventsOf(EventType.accountVerificationRequested, about(user.id))).to.have.length(6);
    expect((await gw.gql(VERIFY, { t: tokenOf(last.link) })).data).to.deep.equal({
      verifyEmail: true,
    });
  });

  it('answers a reset request the same for unknown and registered addresses, and limits both alike', async () => {
    const user = await gw.register('reset-enum');
    const unknown = `nobody-${user.id}@example.com`;
    const answers = [];
    for (const email of [user.email, unknown]) {
      const answer = await gw.gql(REQUEST_RESET, { e: email });
      answers.push({ status: answer.status, data: answer.data, errors: answer.errors });
    }
    expect(answers[0]).to.deep.equal(answers[1]);
    expect(answers[0]).to.deep.include({ status: 200, data: { requestPasswordReset: true } });
    await emailOf(EventType.accountPasswordResetRequested, user.id);
    expect(
      gw.eventsOf(
        EventType.accountPasswordResetRequested,
        (e) => accountEmailOf(e).email === unknown,
      ),
    ).to.have.length(0);
    // Three an hour per address asked about, registered or not.
    for (const email of [user.email, unknown]) {
      await gw.gql(REQUEST_RESET, { e: email });
      await gw.gql(REQUEST_RESET, { e: email });
      expect(errorOf(await gw.gql(REQUEST_RESET, { e: email }))?.code, email).to.equal(
        'RATE_LIMITED',
      );
    }
    expect(errorOf(await gw.gql(REQUEST_RESET, { e: 'not an address' }))).to.include({
      code: 'BAD_USER_INPUT',
      field: 'email',
    });
  });

  it('resets the password once by link: every session ends, the link cannot be used again', async () => {
    const user = await gw.register('reset');
    const other = (
      await gw.gql<{ login: { accessToken: string; refreshToken: string } }>(LOGIN, {
        e: user.email,
        p: TEST_PASSWORD,
      })
    ).data!.login;
    await gw.gql(REQUEST_RESET, { e: user.email.toUpperCase() });
    const { link, email, expiresAt } = await emailOf(
      EventType.accountPasswordResetRequested,
      user.id,
    );
    expect(email).to.equal(user.email);
    expect(Date.parse(expiresAt)).to.be.lessThan(Date.now() + 3600_000 + 1000);
    expect(new URL(link).pathname).to.equal('/reset-password');

    const form = await open(link);
    expect(await form.text()).to.include('name="newPassword"');
    const weak = await post(link, { newPassword: 'short' });
    expect(weak.status).to.equal(400);
    expect(await weak.text()).to.include('The password must be at least 10 characters');

    const newPassword = 'a brand new passphrase 42';
    const done = await post(link, { newPassword });
    expect(done.status).to.equal(200);
    expect(await done.text()).to.include('every session was signed out');
    for (const session of [user, other]) {
      expect(errorOf(await gw.gql(ME, {}, session.accessToken))?.code).to.equal('UNAUTHENTICATED');
      expect(errorOf(await gw.gql(REFRESH, { t: session.refreshToken }))?.code).to.equal(
        'UNAUTHENTICATED',
      );
    }
    expect(errorOf(await gw.gql(LOGIN, { e: user.email, p: TEST_PASSWORD }))?.code).to.equal(
      'UNAUTHENTICATED',
    );
    expect((await gw.gql(LOGIN, { e: user.email, p: newPassword })).data?.login).to.have.property(
      'accessToken',
    );
    const reused = errorOf(
      await gw.gql(RESET, { t: tokenOf(link), p: 'yet another passphrase 7' }),
    );
    expect(reused).to.include({ code: 'BAD_USER_INPUT', field: 'token' });
    expect(String(reused?.reason)).to.include('already used');
    expect((await post(link, { newPassword: 'yet another passphrase 7' })).status).to.equal(400);
  });

  it('changes the password with the current one: other sessions end, this one stays', async () => {
    const user = await gw.register('change-password');
    const other = (
      await gw.gql<{ login: { accessToken: string } }>(LOGIN, {
        e: user.email,
        p: TEST_PASSWORD,
      })
    ).data!.login;
    const wrong = await gw.gql(
      CHANGE_PASSWORD,
      { c: 'not my password at all', n: 'whatever else 123' },
      user.accessToken,
    );
    expect(errorOf(wrong)?.code).to.equal('FORBIDDEN');
    const weak = await gw.gql(
      CHANGE_PASSWORD,
      { c: TEST_PASSWORD, n: 'password123' },
      user.accessToken,
    );
    expect(errorOf(weak)).to.include({ code: 'BAD_USER_INPUT', field: 'newPassword' });
    const changed = await gw.gql(
      CHANGE_PASSWORD,
      { c: TEST_PASSWORD, n: 'my second passphrase!' },
      user.accessToken,
    );
    expect(changed.data).to.deep.equal({ changePassword: true });
    expect(await me(user)).to.have.property('email', user.email);
    expect(errorOf(await gw.gql(ME, {}, other.accessToken))?.code).to.equal('UNAUTHENTICATED');
  });

  it('changes the email only when the new address confirms; the old one keeps the alerts meanwhile', async () => {
    const user = await gw.register('change-email');
    const verification = await emailOf(EventType.accountVerificationRequested, user.id);
    await post(verification.link);
    const newEmail = `moved-${user.id}@example.org`;
    expect(
      errorOf(
        await gw.gql(CHANGE_EMAIL, { e: newEmail, p: 'wrong password 123' }, user.accessToken),
      )?.code,
    ).to.equal('FORBIDDEN');
    const asked = await gw.gql(CHANGE_EMAIL, { e: newEmail, p: TEST_PASSWORD }, user.accessToken);
    expect(asked.data).to.deep.equal({
      changeEmail: { email: user.email, pendingEmail: newEmail },
    });
    expect(await me(user)).to.include({ email: user.email, emailVerified: true });

    const confirmation = await emailOf(EventType.accountEmailChangeRequested, user.id);
    expect(confirmation.email).to.equal(newEmail);
    expect(new URL(confirmation.link).pathname).to.equal('/confirm-email');
    expect((await post(confirmation.link)).status).to.equal(200);
    expect(await me(user)).to.include({ email: newEmail, emailVerified: true, pendingEmail: null });
    const changed = await gw.waitForEvent(
      EventType.userPreferencesChanged,
      (e) => about(user.id)(e) && (e.data as { email?: string }).email === newEmail,
    );
    expect(changed.event.data).to.include({ emailVerified: true });
    expect((await gw.gql(LOGIN, { e: newEmail, p: TEST_PASSWORD })).data?.login).to.have.property(
      'accessToken',
    );
    // The old address's verification link no longer verifies anything.
    const old = errorOf(await gw.gql(VERIFY, { t: tokenOf(verification.link) }));
    expect(old).to.include({ code: 'BAD_USER_INPUT', field: 'token' });
  });

  it('updates the time zone and the hourly cap, refusing bad values with the field named', async () => {
    const user = await gw.register('preferences');
    const bad = await gw.gql(PREFERENCES, { i: { timeZone: 'Mars/Olympus' } }, user.accessToken);
    expect(errorOf(bad)).to.include({ code: 'BAD_USER_INPUT', field: 'timeZone' });
    const cap = await gw.gql(PREFERENCES, { i: { maxAlertsPerHour: 0 } }, user.accessToken);
    expect(errorOf(cap)).to.include({ code: 'BAD_USER_INPUT', field: 'maxAlertsPerHour' });
    const good = await gw.gql(
      PREFERENCES,
      { i: { timeZone: 'Asia/Tokyo', maxAlertsPerHour: 5 } },
      user.accessToken,
    );
    expect(good.data).to.deep.equal({
      updatePreferences: { timeZone: 'Asia/Tokyo', maxAlertsPerHour: 5 },
    });
    const event = await gw.waitForEvent(EventType.userPreferencesChanged, about(user.id));
    expect(event.event.data).to.include({ timeZone: 'Asia/Tokyo', maxAlertsPerHour: 5 });
  });

  it('sets quiet hours (crossing midnight), refuses bad ones with the field named, and removes them', async () => {
    const user = await gw.register('quiet-hours');
    const QUIET =
      'mutation ($i: PreferencesInput!) { updatePreferences(input: $i) { quietHours { start end } } }';
    const badClock = await gw.gql(
      QUIET,
      { i: { quietHours: { start: '22:00', end: '7am' } } },
      user.accessToken,
    );
    expect(errorOf(badClock)).to.include({ code: 'BAD_USER_INPUT', field: 'quietHours.end' });
    const empty = await gw.gql(
      QUIET,
      { i: { quietHours: { start: '22:00', end: '22:00' } } },
      user.accessToken,
    );
    expect(errorOf(empty)).to.include({ code: 'BAD_USER_INPUT', field: 'quietHours.end' });
    const set = await gw.gql(
      QUIET,
      { i: { quietHours: { start: '22:00', end: '07:00' } } },
      user.accessToken,
    );
    expect(set.data).to.deep.equal({
      updatePreferences: { quietHours: { start: '22:00', end: '07:00' } },
    });
    const setEvent = await gw.waitForEvent(
      EventType.userPreferencesChanged,
      (event) =>
        about(user.id)(event) && (event.data as { quietHours?: unknown }).quietHours !== null,
    );
    expect(setEvent.event.data).to.deep.include({ quietHours: { start: '22:00', end: '07:00' } });
    // Another preference leaves them as they are; null removes them.
    const other = await gw.gql(QUIET, { i: { maxAlertsPerHour: 7 } }, user.accessToken);
    expect(other.data).to.deep.equal({
      updatePreferences: { quietHours: { start: '22:00', end: '07:00' } },
    });
    const removed = await gw.gql(QUIET, { i: { quietHours: null } }, user.accessToken);
    expect(removed.data).to.deep.equal({ updatePreferences: { quietHours: null } });
    const events = await pollUntil('the three changes published', () => {
      const found = gw.eventsOf(EventType.userPreferencesChanged, about(user.id));
      return found.length >= 3 && found;
    });
    expect(events.map((e) => (e.event.data as { quietHours: unknown }).quietHours)).to.deep.equal([
      { start: '22:00', end: '07:00' },
      { start: '22:00', end: '07:00' },
      null,
    ]);
  });
});
