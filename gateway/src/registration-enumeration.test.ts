/**
 * Nobody learns whether an address has an account (DESIGN.md §7): registering with an owned
 * address answers as with a free one and changes nothing of the owner, whom a notice with a
 * reset link tells instead (limited per address); the registrant never gets the address. Two
 * accounts waiting for one free address: the first to follow its link owns it. Login, resend,
 * reset and email change answer the same for owned, waiting and unknown addresses. Accounts
 * never verified are deleted after UNVERIFIED_ACCOUNT_TTL.
 */
import { EventType, type TickwatchEvent } from '@tickwatch/contracts';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
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
import { REGISTRATION_EMAILS_PER_ADDRESS_HOUR as LIMIT } from './gateway.ts';
import { startTestGateway, TEST_PASSWORD, type TestGateway } from './testing/harness.ts';

const REGISTER =
  'mutation ($e: String!, $p: String!) { register(email: $e, password: $p) { accessToken refreshToken user { email emailVerified pendingEmail ruleCount } } }';
const ME = '{ me { id email emailVerified pendingEmail } }';
const TIME_ZONE = 'mutation { updatePreferences(input: { timeZone: "Asia/Tokyo" }) { timeZone } }';

interface Registered {
  accessToken: string;
  refreshToken: string;
  user: { email: string; emailVerified: boolean; pendingEmail: string | null; ruleCount: number };
}
const to = (address: string) => (event: TickwatchEvent) => accountEmailOf(event).email === address;
let addresses = 0;
const newAddress = (label: string) => `${label}-${(addresses += 1)}-${Date.now()}@example.com`;

describe('registration that tells nobody whether an address has an account', function () {
  // Starting an embedded MongoDB and a gateway took over 20 s on a loaded 2-core machine.
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      // This suite registers one address many times from one client address.
      env: { REQUIRE_EMAIL_VERIFICATION: 'true', REGISTRATIONS_PER_IP_HOUR: '200' },
    });
  });
  after(async () => {
    await gw.stop();
  });

  const register = async (email: string, password = TEST_PASSWORD) => {
    const answer = await gw.gql<{ register: Registered }>(REGISTER, { e: email, p: password });
    expect(answer.errors, JSON.stringify(answer.errors)).to.equal(undefined);
    const { accessToken } = answer.data!.register;
    const me = await gw.gql<{ me: { id: string } }>(ME, {}, accessToken);
    return { answer, id: me.data!.me.id, accessToken };
  };
  /** Everything a caller sees of an answer but the tokens and the address it gave. */
  const shape = (answer: Awaited<ReturnType<typeof register>>['answer'], email: string) => {
    const { accessToken, refreshToken, user } = answer.data!.register;
    expect(accessToken).to.be.a('string');
    expect(refreshToken).to.be.a('string');
    return {
      status: answer.status,
      keys: Object.keys(answer.data!.register),
      user: { ...user, email: user.email === email ? '<the address given>' : user.email },
    };
  };
  const verificationOf = (userId: string) =>
    pollUntil(
      'the verification email',
      () => gw.eventsOf(EventType.accountVerificationRequested, about(userId))[0]?.event,
    );
  const verifiedOwner = async (label: string) => {
    const email = newAddress(label);
    const owner = await register(email);
    const link = accountEmailOf(await verificationOf(owner.id)).link;
    expect((await gw.gql(VERIFY, { t: tokenOf(link) })).data).to.deep.equal({ verifyEmail: true });
    return { ...owner, email };
  };
  /** The user document once its outbox is published and released (the relay's fields gone). */
  const settled = (userId: string) =>
    pollUntil('the outbox published', async () => {
      const doc = await gw.db.collection('users').findOne({ _id: userId as never });
      const idle = doc && (doc.pendingEvents as unknown[]).length === 0 && !doc.outboxLease;
      return idle && !doc.outboxPendingSince && doc;
    });
  /**
   * Everything the account's outbox held so far reached the notifier's queue: an event written
   * after it (its order is kept per account) has been seen.
   */
  const drained = async (account: { id: string; accessToken: string }) => {
    const before = gw.eventsOf(EventType.userPreferencesChanged, about(account.id)).length;
    await gw.gql(TIME_ZONE, {}, account.accessToken);
    await pollUntil(
      'a later event of the account',
      () => gw.eventsOf(EventType.userPreferencesChanged, about(account.id)).length > before,
    );
  };
  const notices = (address: string) =>
    gw.eventsOf(EventType.accountRegistrationAttempted, to(address));

  it('answers a registration with an owned address as with a free one, changes nothing of the owner, and tells the owner with a working reset link', async () => {
    const owner = await verifiedOwner('owner');
    const before = await settled(owner.id);

    const free = newAddress('free');
    const fresh = await register(free);
    const squatter = await register(owner.email.toUpperCase(), 'the squatter’s passphrase 9');
    expect(shape(squatter.answer, owner.email)).to.deep.equal(shape(fresh.answer, free));
    expect(shape(fresh.answer, free).user).to.deep.equal({
      email: '<the address given>',
      emailVerified: false,
      pendingEmail: null,
      ruleCount: 0,
    });

    // The owner: the same document, byte for byte; the notice travelled in the squatter's outbox.
    await drained(squatter);
    expect(await settled(owner.id)).to.deep.equal(before);
    const [notice, ...more] = notices(owner.email);
    expect(more).to.have.length(0);
    expect(accountEmailOf(notice!.event)).to.include({ userId: owner.id, email: owner.email });
    expect(new URL(accountEmailOf(notice!.event).link).pathname).to.equal('/reset-password');
    // Nothing for the squatter: no verification link to anyone, and the free address got its own.
    expect(gw.eventsOf(EventType.accountVerificationRequested, about(squatter.id))).to.have.length(
      0,
    );
    await verificationOf(fresh.id);
    const registered = await gw.waitForEvent(EventType.userRegistered, about(squatter.id));
    expect(registered.event.data).to.include({ emailVerified: false });

    // The notice's link resets the owner's password, once.
    const newPassword = 'the owner’s new passphrase 3';
    const reset = await gw.gql(RESET, {
      t: tokenOf(accountEmailOf(notice!.event).link),
      p: newPassword,
    });
    expect(reset.data).to.deep.equal({ resetPassword: true });
    const login = await gw.gql<{ login: { accessToken: string } }>(LOGIN, {
      e: owner.email,
      p: newPassword,
    });
    expect(login.data?.login.accessToken).to.be.a('string');

    // The squatter never gets the address: it cannot sign in with it, and is not its owner.
    const squatterLogin = await gw.gql(LOGIN, { e: owner.email, p: 'the squatter’s passphrase 9' });
    expect(squatterLogin.errors?.[0]?.message).to.equal('wrong email or password');
    expect((await gw.gql<{ me: unknown }>(ME, {}, squatter.accessToken)).data?.me).to.include({
      email: owner.email,
      emailVerified: false,
    });
  });

  it(`tells an owner at most ${LIMIT} times an hour, while every registration answers alike`, async () => {
    const owner = await verifiedOwner('flooded');
    const squatters = [await register(owner.email)];
    // A squatter's resend tells the owner too: an owned address never gets a link.
    expect((await gw.gql(RESEND, {}, squatters[0]!.accessToken)).data).to.deep.equal({
      resendVerificationEmail: true,
    });
    await drained(squatters[0]!);
    // Every registration takes one of the address's allowance (the owner's own too: whether
    // the address is owned must not change the count): the owner's, the squatter's, the resend.
    expect(notices(owner.email)).to.have.length(2);
    while (squatters.length < LIMIT - 1) squatters.push(await register(owner.email));
    for (const squatter of squatters) await drained(squatter);
    expect(notices(owner.email)).to.have.length(LIMIT - 1);
    // Past the allowance, nothing more goes; the answers do not change.
    squatters.push(await register(owner.email), await register(owner.email));
    expect(shape(squatters.at(-1)!.answer, owner.email)).to.deep.equal(
      shape(squatters[0]!.answer, owner.email),
    );
    expect((await gw.gql(RESEND, {}, squatters[1]!.accessToken)).data).to.deep.equal({
      resendVerificationEmail: true,
    });
    for (const squatter of squatters) await drained(squatter);
    expect(notices(owner.email)).to.have.length(LIMIT - 1);
    for (const squatter of squatters) {
      expect(
        gw.eventsOf(EventType.accountVerificationRequested, about(squatter.id)),
      ).to.have.length(0);
    }
  });

  it(`sends a free address at most ${LIMIT} emails an hour too, whoever registers or resends`, async () => {
    const email = newAddress('spammed');
    const waiting = [await register(email)];
    while (waiting.length < LIMIT + 1) waiting.push(await register(email));
    expect(shape(waiting.at(-1)!.answer, email)).to.deep.equal(shape(waiting[0]!.answer, email));
    expect((await gw.gql(RESEND, {}, waiting[0]!.accessToken)).data).to.deep.equal({
      resendVerificationEmail: true,
    });
    for (const account of waiting) await drained(account);
    const links = waiting.flatMap((account) =>
      gw.eventsOf(EventType.accountVerificationRequested, about(account.id)),
    );
    expect(links).to.have.length(LIMIT);
  });

  it('verifies an account that owns its address unverified (registered before addresses waited), by its link or a resent one', async () => {
    const verifyOldStyle = async (label: string) => {
      const email = newAddress(label);
      const account = await register(email);
      const link = accountEmailOf(await verificationOf(account.id)).link;
      await settled(account.id);
      // How registration stored an address before: the account's own, not verified.
      await gw.db
        .collection('users')
        .updateOne({ _id: account.id as never }, { $set: { email }, $unset: { pendingEmail: 1 } });
      return { ...account, email, link };
    };
    const byOldLink = await verifyOldStyle('old-link');
    expect((await gw.gql(VERIFY, { t: tokenOf(byOldLink.link) })).data).to.deep.equal({
      verifyEmail: true,
    });
    expect((await gw.gql<{ me: unknown }>(ME, {}, byOldLink.accessToken)).data?.me).to.include({
      email: byOldLink.email,
      emailVerified: true,
    });

    const byResend = await verifyOldStyle('old-resend');
    expect((await gw.gql(RESEND, {}, byResend.accessToken)).data).to.deep.equal({
      resendVerificationEmail: true,
    });
    const resent = await pollUntil(
      'the resent link',
      () => gw.eventsOf(EventType.accountVerificationRequested, about(byResend.id))[1]?.event,
    );
    expect(accountEmailOf(resent).email).to.equal(byResend.email);
    await gw.gql(VERIFY, { t: tokenOf(accountEmailOf(resent).link) });
    expect((await gw.gql<{ me: unknown }>(ME, {}, byResend.accessToken)).data?.me).to.include({
      emailVerified: true,
    });
  });

  it('lets the first of two accounts waiting for a free address own it; the other’s link is refused with a typed error', async () => {
    const email = newAddress('raced');
    const first = await register(email, 'the first passphrase 11');
    const second = await register(email, 'the second passphrase 22');
    const [firstLink, secondLink] = [
      accountEmailOf(await verificationOf(first.id)).link,
      accountEmailOf(await verificationOf(second.id)).link,
    ];
    // Before either verified, the address signs in the account that registered it first.
    expect(
      (await gw.gql(LOGIN, { e: email, p: 'the first passphrase 11' })).data?.login,
    ).to.have.property('accessToken');

    expect((await gw.gql(VERIFY, { t: tokenOf(secondLink) })).data).to.deep.equal({
      verifyEmail: true,
    });
    const lost = await gw.gql(VERIFY, { t: tokenOf(firstLink) });
    expect(lost.errors?.[0]?.extensions).to.include({
      code: 'BAD_USER_INPUT',
      field: 'token',
      reason: 'another account verified this address first',
    });
    expect((await gw.gql<{ me: unknown }>(ME, {}, first.accessToken)).data?.me).to.include({
      emailVerified: false,
    });
    expect((await gw.gql<{ me: unknown }>(ME, {}, second.accessToken)).data?.me).to.include({
      email,
      emailVerified: true,
    });
    // Now the address is the second's: its password signs in, the first's no longer does.
    expect(
      (await gw.gql(LOGIN, { e: email, p: 'the second passphrase 22' })).data?.login,
    ).to.have.property('accessToken');
    expect(
      (await gw.gql(LOGIN, { e: email, p: 'the first passphrase 11' })).errors?.[0]?.message,
    ).to.equal('wrong email or password');
  });

  it('answers login, resend, reset and email change the same for owned, waiting and unknown addresses', async () => {
    const owner = await verifiedOwner('known');
    const waiting = newAddress('waiting');
    const waiter = await register(waiting);
    const unknown = newAddress('unknown');
    const answerOf = (answer: { status: number; data?: unknown; errors?: unknown }) => ({
      status: answer.status,
      data: answer.data,
      errors: answer.errors,
    });

    const logins = [];
    for (const email of [owner.email, waiting, unknown]) {
      logins.push(answerOf(await gw.gql(LOGIN, { e: email, p: 'not the password 000' })));
    }
    expect(logins[1]).to.deep.equal(logins[0]);
    expect(logins[2]).to.deep.equal(logins[0]);

    const resets = [];
    for (const email of [owner.email, waiting, unknown]) {
      resets.push(answerOf(await gw.gql(REQUEST_RESET, { e: email })));
    }
    expect(resets).to.deep.equal([resets[0], resets[0], resets[0]]);
    expect(resets[0]!.data).to.deep.equal({ requestPasswordReset: true });

    // A session's resend: for an owned address (a squatter) as for a free one.
    const squatter = await register(owner.email);
    expect(answerOf(await gw.gql(RESEND, {}, squatter.accessToken))).to.deep.equal(
      answerOf(await gw.gql(RESEND, {}, waiter.accessToken)),
    );

    // An email change to an owned address as to a free one (the link goes to the address).
    const mover = await verifiedOwner('mover');
    const changes = [];
    for (const email of [owner.email, unknown]) {
      const answer = await gw.gql<{ changeEmail: { email: string; pendingEmail: string } }>(
        CHANGE_EMAIL,
        { e: email, p: TEST_PASSWORD },
        mover.accessToken,
      );
      expect(answer.data?.changeEmail.pendingEmail).to.equal(email);
      changes.push({
        status: answer.status,
        errors: answer.errors,
        email: answer.data?.changeEmail.email,
      });
    }
    expect(changes[0]).to.deep.equal(changes[1]);
  });
});

describe('accounts that never verify their address', function () {
  this.timeout(60_000);
  let gw: TestGateway;
  before(async () => {
    gw = await startTestGateway({
      env: { REQUIRE_EMAIL_VERIFICATION: 'true', UNVERIFIED_ACCOUNT_TTL: '4s' },
      overrides: { unverifiedSweepIntervalMs: 200 },
    });
  });
  after(async () => {
    await gw.stop();
  });

  it('are deleted after UNVERIFIED_ACCOUNT_TTL, rules and watches withdrawn, and the address is free again; verified ones stay', async () => {
    const kept = await gw.register('kept');
    const link = await pollUntil(
      'the verification email',
      () => gw.eventsOf(EventType.accountVerificationRequested, about(kept.id))[0]?.event,
    );
    await gw.gql(VERIFY, { t: tokenOf(accountEmailOf(link).link) });
    const expired = await gw.register('expired');
    const rule = await gw.gql<{ createAlertRule: { id: string } }>(
      'mutation { createAlertRule(input: { ticker: "TSLA", condition: { below: { threshold: 150 } } }) { id } }',
      {},
      expired.accessToken,
    );
    expect(rule.errors).to.equal(undefined);
    await gw.gql('mutation { watchTicker(ticker: "AMD") { id } }', {}, expired.accessToken);

    await gw.waitForEvent(EventType.userDeleted, about(expired.id), 'the expired account deleted');
    const withdrawn = gw.eventsOf(
      EventType.ruleDeleted,
      (e) => (e.data as { rule: { id: string } }).rule.id === rule.data!.createAlertRule.id,
    );
    expect(withdrawn).to.have.length(1);
    expect(gw.eventsOf(EventType.watchRemoved, about(expired.id))).to.have.length(1);
    await pollUntil(
      'the tombstone removed',
      async () =>
        (await gw.db.collection('users').countDocuments({ _id: expired.id as never })) === 0,
    );
    expect((await gw.gql(ME, {}, expired.accessToken)).errors?.[0]?.extensions?.code).to.equal(
      'UNAUTHENTICATED',
    );
    expect(gw.eventsOf(EventType.userDeleted, about(kept.id))).to.have.length(0);
    expect((await gw.gql<{ me: unknown }>(ME, {}, kept.accessToken)).data?.me).to.include({
      emailVerified: true,
    });

    // The address is nobody's: registering it again gets a verification link, not a notice.
    const again = await gw.gql<{ register: { accessToken: string } }>(REGISTER, {
      e: expired.email,
      p: TEST_PASSWORD,
    });
    const me = await gw.gql<{ me: { id: string } }>(ME, {}, again.data!.register.accessToken);
    await pollUntil(
      'a verification email for the new account',
      () => gw.eventsOf(EventType.accountVerificationRequested, about(me.data!.me.id))[0],
    );
  });
});
