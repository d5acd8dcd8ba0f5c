/**
 * Quiet hours through the whole notifier (real broker, MongoDB, SMTP sink): alerts that fire in
 * them are held (QUIET_HOURS, due when they end) and go out as one digest; account emails and
 * test notifications go at once; a digest that falls due in them waits too; changing them
 * brings the held alerts up for the next digest pass. Nothing is dropped.
 */
import { randomUUID } from 'node:crypto';
import { createEvent, deliveryId, EventType, type TickwatchEvent } from '@tickwatch/contracts';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { localTime } from '@tickwatch/infra/time';
import { expect } from 'chai';
import { DeliveryState } from './deliveries/delivery-model.ts';
import { useNotifierHarness } from './testing/harness.ts';

const ZONE = 'Asia/Tokyo';
const MINUTE_MS = 60_000;

/** The user's clock (ZONE) `minutes` from now, HH:MM. */
function clockIn(minutes: number): string {
  const local = localTime(Date.now() + minutes * MINUTE_MS, ZONE).minutes;
  return `${String(Math.floor(local / 60)).padStart(2, '0')}:${String(local % 60).padStart(2, '0')}`;
}

describeOnMongoTargets('notifier: quiet hours', (target) => {
  const h = useNotifierHarness(target);
  const mailsTo = (address: string) =>
    h.sink.messages.filter((mail) => mail.envelope.to.includes(address));
  const deliveryOf = (alertId: string) =>
    h.notifier.deliveries.findById(deliveryId(alertId, 'EMAIL')).lean();
  /** Quiet from an hour ago to two hours from now (Tokyo keeps no daylight saving). */
  const nowQuiet = () => ({ start: clockIn(-60), end: clockIn(120) });

  it('holds alerts until the quiet hours end, sends account emails and tests at once, then one digest', async () => {
    const email = 'night@example.com';
    const quietHours = nowQuiet();
    const userId = await h.addUser({ email, timeZone: ZONE, quietHours });
    const alerts = [h.alertFor(userId, { ticker: 'AAPL' }), h.alertFor(userId, { ticker: 'MSFT' })];
    const published = Date.now();
    await Promise.all(alerts.map((alert) => h.publish(alert)));
    for (const alert of alerts) {
      const held = await pollUntil('held', async () => {
        const delivery = await deliveryOf(alert.data.alertId);
        return delivery?.state === DeliveryState.capped && delivery;
      });
      // Due when the quiet hours end: `end` on the user's clock, two hours from now.
      const end = Math.floor(published / MINUTE_MS) * MINUTE_MS + 120 * MINUTE_MS;
      expect(held.digestDueAt?.getTime()).to.be.oneOf([end, end + MINUTE_MS]);
      const [failure] = await pollUntil('QUIET_HOURS reported', () => {
        const events = h.failedFor(alert.data.alertId);
        return events.length > 0 && events;
      });
      expect(failure?.data).to.deep.include({ code: 'QUIET_HOURS', permanent: false });
    }

    // Account emails and the user's own test go out in quiet hours.
    const verification = createEvent(
      EventType.accountVerificationRequested,
      {
        userId,
        email,
        link: 'http://127.0.0.1:4000/verify-email?token=eyJhbGciOiJIUzI1NiJ9.e30.c2ln',
        expiresAt: new Date(Date.now() + 3_600_000).toISOString(),
        timeZone: ZONE,
      },
      { source: 'tickwatch/gateway' },
    ) as unknown as TickwatchEvent;
    await h.publish(verification);
    const requestId = randomUUID();
    await h.publish(
      createEvent(
        EventType.notificationRequested,
        { requestId, userId, channels: ['EMAIL'] },
        { source: 'tickwatch/gateway', id: requestId },
      ),
    );
    await pollUntil('the account email and the test', () => mailsTo(email).length >= 2);
    expect(mailsTo(email).map((mail) => mail.parsed.subject)).to.have.members([
      'Verify your email address for tickwatch',
      'tickwatch test notification',
    ]);
    // Not yet due: a digest pass sends nothing.
    expect(await h.notifier.digests.runOnce()).to.equal(0);

    // The quiet hours end (the user removes them): the next pass sends one digest.
    await h.changeUser(userId, { quietHours: null });
    await pollUntil('the digest', async () => (await h.notifier.digests.runOnce()) > 0);
    const digest = mailsTo(email)[2]?.parsed;
    expect(mailsTo(email)).to.have.length(3);
    expect(digest?.subject).to.equal('tickwatch: 2 alerts from your quiet hours');
    expect(digest?.text).to.include('Your quiet hours held these alerts back');
    for (const alert of alerts) {
      expect(digest?.text).to.include(`${alert.data.ticker} rose above`);
      expect((await deliveryOf(alert.data.alertId))?.state).to.equal(DeliveryState.digested);
    }
  });

  it('holds a digest that falls due in quiet hours until they end', async () => {
    const email = 'capped-at-night@example.com';
    const userId = await h.addUser({ email, timeZone: ZONE, maxAlertsPerHour: 1 });
    const [first, second] = [h.alertFor(userId), h.alertFor(userId)];
    await h.publish(first);
    await pollUntil('the first alert sent', () => h.sentFor(first.data.alertId)[0]);
    await h.publish(second);
    await pollUntil(
      'the second capped',
      async () => (await deliveryOf(second.data.alertId))?.state === DeliveryState.capped,
    );
    const quietHours = nowQuiet();
    await h.changeUser(userId, { quietHours });
    // The hour is over (as if): the digest is due, in quiet hours.
    await h.notifier.deliveries.updateOne(
      { _id: deliveryId(second.data.alertId, 'EMAIL') },
      { $set: { digestDueAt: new Date() } },
    );
    expect(await h.notifier.digests.runOnce()).to.equal(0);
    const held = await deliveryOf(second.data.alertId);
    expect(held?.state).to.equal(DeliveryState.capped);
    expect(held?.failure?.code).to.equal('QUIET_HOURS');
    expect(held?.digestDueAt?.getTime()).to.be.greaterThan(Date.now() + 100 * MINUTE_MS);
    expect(mailsTo(email)).to.have.length(1);

    await h.changeUser(userId, { quietHours: null });
    await pollUntil('the digest', async () => (await h.notifier.digests.runOnce()) > 0);
    expect(mailsTo(email)).to.have.length(2);
    expect(mailsTo(email)[1]?.parsed.subject).to.equal('tickwatch: 1 alert from your quiet hours');
  });
});
