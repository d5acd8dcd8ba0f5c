/**
 * The per-user cap and its digest: past the cap, alerts wait (reported as RATE_CAPPED) and go
 * out together in one digest email when the window opens again; each is then reported sent.
 */
import { deliveryId } from '@tickwatch/contracts';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { DeliveryState } from './deliveries/delivery-model.ts';
import { useNotifierHarness } from './testing/harness.ts';

/** Long enough that five alerts published at once land in one window on a busy machine. */
const WINDOW_SECONDS = 4;

describeOnMongoTargets('notifier: hourly cap and digest', (target) => {
  const h = useNotifierHarness(target, { notifier: { capWindowSeconds: WINDOW_SECONDS } });
  const mailsTo = (address: string) =>
    h.sink.messages.filter((mail) => mail.envelope.to.includes(address));
  const stateOf = async (alertId: string) =>
    (await h.notifier.deliveries.findById(deliveryId(alertId, 'EMAIL')).lean())?.state;
  const cappedOf = async <A extends { data: { alertId: string } }>(alerts: A[]) => {
    const states = await Promise.all(alerts.map((alert) => stateOf(alert.data.alertId)));
    return alerts.filter((_, i) => states[i] === DeliveryState.capped);
  };
  /** Runs digest passes until one sends something (the window has to open first). */
  const digestSent = () =>
    pollUntil('a digest sent', async () => (await h.notifier.digests.runOnce()) > 0, {
      timeoutMs: (WINDOW_SECONDS + 10) * 1000,
      intervalMs: 250,
    });

  it('holds back alerts over the cap and sends them in one digest when the window opens', async () => {
    const email = 'busy@example.com';
    const userId = await h.addUser({ email, maxAlertsPerHour: 2 });
    const alerts = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'].map((ticker) =>
      h.alertFor(userId, { ticker }),
    );
    await Promise.all(alerts.map((alert) => h.publish(alert)));
    await pollUntil('every alert handled', async () => {
      const states = await Promise.all(alerts.map((alert) => stateOf(alert.data.alertId)));
      return states.every(
        (state) => state === DeliveryState.sent || state === DeliveryState.capped,
      );
    });
    expect(mailsTo(email)).to.have.length(2);
    const capped = await cappedOf(alerts);
    expect(capped).to.have.length(3);
    for (const alert of capped) {
      const [failure] = await pollUntil('RATE_CAPPED reported', () => {
        const events = h.failedFor(alert.data.alertId);
        return events.length > 0 && events;
      });
      expect(failure?.data).to.deep.include({ code: 'RATE_CAPPED', permanent: false });
    }

    await digestSent();
    const mails = mailsTo(email);
    expect(mails).to.have.length(3);
    const digest = mails[2]?.parsed;
    expect(digest?.subject).to.equal('tickwatch: 3 alerts held back by your hourly cap');
    for (const alert of capped) {
      expect(digest?.text).to.include(`${alert.data.ticker} rose above 330.00 — now 333.69 USD`);
      expect(await stateOf(alert.data.alertId)).to.equal(DeliveryState.digested);
      const [sent] = await pollUntil('notification.sent for the digested alert', () => {
        const events = h.sentFor(alert.data.alertId);
        return events.length > 0 && events;
      });
      expect(sent?.data).to.deep.include({
        deliveryId: deliveryId(alert.data.alertId, 'EMAIL'),
        messageId: digest?.messageId,
      });
    }
    // Nothing left for a digest; the next alert (new window, the digest counted in it) goes out.
    expect(await h.notifier.digests.runOnce()).to.equal(0);
    const next = h.alertFor(userId);
    await h.publish(next);
    await pollUntil('the next alert sent', () => h.sentFor(next.data.alertId)[0]);
    expect(mailsTo(email)).to.have.length(4);
  });

  it('sends no digest to a user who unsubscribed meanwhile, and says why for each alert', async () => {
    const email = 'quiet@example.com';
    const userId = await h.addUser({ email, maxAlertsPerHour: 1 });
    const alerts = [h.alertFor(userId), h.alertFor(userId), h.alertFor(userId)];
    for (const alert of alerts) await h.publish(alert);
    await pollUntil('two alerts capped', async () => {
      const states = await Promise.all(alerts.map((alert) => stateOf(alert.data.alertId)));
      return states.filter((state) => state === DeliveryState.capped).length === 2;
    });
    const capped = await cappedOf(alerts);
    await h.changeUser(userId, { alertsUnsubscribed: true });
    await pollUntil(
      'the digest failed',
      async () => {
        await h.notifier.digests.runOnce();
        const states = await Promise.all(capped.map((alert) => stateOf(alert.data.alertId)));
        return states.every((state) => state === DeliveryState.digested);
      },
      { timeoutMs: (WINDOW_SECONDS + 10) * 1000, intervalMs: 250 },
    );
    expect(mailsTo(email)).to.have.length(1);
    for (const alert of capped) {
      const failure = await pollUntil('the final failure', () =>
        h.failedFor(alert.data.alertId).find((event) => event.data.permanent),
      );
      expect(failure.data.code).to.equal('UNSUBSCRIBED');
    }
  });
});
