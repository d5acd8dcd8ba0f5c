/**
 * The account emails (verification, password reset, email-change confirmation) through the
 * whole notifier: the event's link and address reach a real SMTP server, once, escaped, to an
 * unverified or new address, and never to a deleted user.
 */
import { createEvent, EventType, type TickwatchEvent } from '@tickwatch/contracts';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { DeliveryState } from './deliveries/delivery-model.ts';
import { composeAccountEmail, type AccountEmailType } from './email/account-emails.ts';
import { useNotifierHarness } from './testing/harness.ts';

const source = { source: 'tickwatch/gateway' };
const LINK = 'http://127.0.0.1:4000/verify-email?token=eyJhbGciOiJIUzI1NiJ9.e30.c2ln';

describeOnMongoTargets('notifier: account emails', (target) => {
  const h = useNotifierHarness(target);
  const mailsTo = (address: string) =>
    h.sink.messages.filter((mail) => mail.envelope.to.includes(address));
  const accountEvent = (type: AccountEmailType, userId: string, email: string, link = LINK) =>
    createEvent(
      type,
      { userId, email, link, expiresAt: '2026-10-03T09:00:00.000Z', timeZone: 'Asia/Tokyo' },
      source,
    ) as unknown as TickwatchEvent;

  it('sends the verification link to an unverified address, once per event, with its expiry in the user’s zone', async () => {
    const userId = await h.addUser({ emailVerified: false, email: 'unverified@example.com' });
    const event = accountEvent(
      EventType.accountVerificationRequested,
      userId,
      'unverified@example.com',
    );
    await h.publish(event);
    await h.publish(event);
    const mail = await pollUntil('the email', () => mailsTo('unverified@example.com')[0]);
    expect(mail.parsed.subject).to.equal('Verify your email address for tickwatch');
    expect(mail.parsed.messageId).to.equal(`<${event.id}.account@tickwatch.test>`);
    expect(mail.parsed.text).to.include(`Verify my address:\n${LINK}\n`);
    expect(mail.parsed.text).to.include('The link works until Sat, 3 Oct 2026, 18:00:00 GMT+9.');
    expect(String(mail.parsed.html)).to.include(`href="${LINK}"`);
    // No unsubscribe header: this is not an alert, and unsubscribing must not stop it.
    expect(mail.parsed.headers.has('list-unsubscribe')).to.equal(false);
    // The repeat is dropped: one more event after it proves the queue moved past both.
    const next = accountEvent(
      EventType.accountVerificationRequested,
      userId,
      'unverified@example.com',
    );
    await h.publish(next);
    await pollUntil('the second email', () => mailsTo('unverified@example.com')[1]);
    // Deliveries run concurrently: the two may arrive in either order.
    expect(
      mailsTo('unverified@example.com')
        .map((m) => m.parsed.messageId)
        .sort(),
    ).to.deep.equal(
      [`<${event.id}.account@tickwatch.test>`, `<${next.id}.account@tickwatch.test>`].sort(),
    );
  });

  it('sends each account email once when its event arrives twice at once on two replicas', async () => {
    await h.startReplica();
    const userId = await h.addUser({ emailVerified: false, email: 'raced@example.com' });
    const events = Array.from({ length: 10 }, () =>
      accountEvent(EventType.accountVerificationRequested, userId, 'raced@example.com'),
    );
    await Promise.all(events.flatMap((event) => [h.publish(event), h.publish(event)]));
    await pollUntil('every email', () => mailsTo('raced@example.com').length >= events.length);
    // Both copies of each were handled once its delivery is SENT (a copy finding it SENDING
    // comes back through a retry tier and then finds it SENT).
    await pollUntil(
      'every delivery recorded',
      async () =>
        (await h.notifier.deliveries.countDocuments({ userId, state: DeliveryState.sent })) ===
        events.length,
    );
    // A later email proves the queue moved past every copy.
    const after = accountEvent(EventType.accountVerificationRequested, userId, 'raced@example.com');
    await h.publish(after);
    await pollUntil('the later email', () => mailsTo('raced@example.com').length > events.length);
    const ids = mailsTo('raced@example.com').map((mail) => mail.parsed.messageId);
    expect(ids.sort()).to.deep.equal(
      [...events, after].map((event) => `<${event.id}.account@tickwatch.test>`).sort(),
    );
  });

  it('sends the reset link, the change confirmation (to the new address, not yet a recipient) and the owner’s notice of a registration attempt', async () => {
    const userId = await h.addUser({ email: 'reset@example.com' });
    await h.publish(
      accountEvent(EventType.accountPasswordResetRequested, userId, 'reset@example.com'),
    );
    await h.publish(
      accountEvent(EventType.accountEmailChangeRequested, userId, 'new-address@example.org'),
    );
    const reset = await pollUntil('the reset email', () => mailsTo('reset@example.com')[0]);
    expect(reset.parsed.subject).to.equal('Reset your tickwatch password');
    expect(reset.parsed.text).to.include('your password stays as it is');
    const change = await pollUntil('the confirmation', () => mailsTo('new-address@example.org')[0]);
    expect(change.parsed.subject).to.equal('Confirm your new email address for tickwatch');
    expect(change.parsed.text).to.include('the account keeps its current address');

    const owner = await h.addUser({ email: 'owner@example.com' });
    const resetLink = 'http://127.0.0.1:4000/reset-password?token=eyJhbGciOiJIUzI1NiJ9.e30.c2ln';
    await h.publish(
      accountEvent(EventType.accountRegistrationAttempted, owner, 'owner@example.com', resetLink),
    );
    const notice = await pollUntil('the notice', () => mailsTo('owner@example.com')[0]);
    expect(notice.parsed.subject).to.equal(
      'Someone tried to register with your address on tickwatch',
    );
    expect(notice.parsed.text).to.include(`Choose a new password:\n${resetLink}\n`);
    expect(notice.parsed.text).to.include('If it was not you, ignore this email');
  });

  it('sends nothing to a deleted user', async () => {
    const userId = await h.addUser({ email: 'gone@example.com' });
    await h.publish(createEvent(EventType.userDeleted, { userId }, source));
    // Handled concurrently otherwise: the email must come after the deletion was applied.
    await pollUntil(
      'the tombstone',
      async () => (await h.notifier.recipients.findById(userId).lean())?.deleted,
    );
    await h.publish(
      accountEvent(EventType.accountVerificationRequested, userId, 'gone@example.com'),
    );
    // A later email to someone else arriving proves the first one was handled (and dropped).
    const other = await h.addUser({ email: 'after@example.com' });
    await h.publish(
      accountEvent(EventType.accountVerificationRequested, other, 'after@example.com'),
    );
    await pollUntil('the later email', () => mailsTo('after@example.com')[0]);
    expect(mailsTo('gone@example.com')).to.have.length(0);
  });
});

describe('account email composition', () => {
  it('escapes the link in the HTML body (an attribute and text) of every account email and leaves the text body alone', () => {
    const link = 'https://tickwatch.example/verify-email?token=a"><script>x</script>&b=1';
    const types = Object.values(EventType).filter((type): type is AccountEmailType =>
      type.startsWith('tickwatch.account.'),
    );
    expect(types).to.have.length(4);
    for (const type of types) {
      const email = composeAccountEmail(
        type,
        '6f1d2c3b-4a5b-4c6d-8e7f-9a0b1c2d3e4f',
        {
          userId: '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01',
          email: 'ada@example.com',
          link,
          expiresAt: '2026-10-03T09:00:00.000Z',
          timeZone: 'UTC',
        },
        'tickwatch.test',
      );
      expect(email.html).to.not.include('<script>');
      expect(email.html).to.not.include('a">');
      expect(email.html).to.include('token=a&quot;&gt;&lt;script&gt;x&lt;/script&gt;&amp;b=1');
      expect(email.text).to.include(link);
    }
  });
});
