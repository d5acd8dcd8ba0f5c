/**
 * Who gets nothing: unverified addresses, unsubscribed users, deleted users (even for alerts
 * already queued, and nothing is kept about them), and users the notifier does not know yet
 * (retried, then dead-lettered, and delivered once replayed).
 */
import { createEvent, deliveryId, EventType, QUEUES } from '@tickwatch/contracts';
import { createLogger } from '@tickwatch/infra/log';
import { replayDeadLetters } from '@tickwatch/infra/messaging/dlq';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { processMetrics } from '@tickwatch/infra/telemetry';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { DeliveryState } from './deliveries/delivery-model.ts';
import { useNotifierHarness } from './testing/harness.ts';

/** tickwatch_notifier_delivery_{retries,failures}_total for EMAIL deliveries to unknown users. */
async function unknownRecipientCount(counter: 'retries' | 'failures'): Promise<number> {
  const series = `tickwatch_notifier_delivery_${counter}_total{channel="EMAIL",code="UNKNOWN_RECIPIENT"} `;
  const line = (await processMetrics.registry.metrics())
    .split('\n')
    .find((sample) => sample.startsWith(series));
  return line ? Number(line.slice(series.length).split(' ')[0]) : 0;
}

describeOnMongoTargets('notifier: who receives alerts', (target) => {
  const h = useNotifierHarness(target);
  const mailsTo = (address: string) =>
    h.sink.messages.filter((mail) => mail.envelope.to.includes(address));
  const finalFailure = (alertId: string) =>
    pollUntil(`a final notification.failed for ${alertId}`, () =>
      h.failedFor(alertId).find((event) => event.data.permanent),
    );

  it('sends nothing to an unverified address', async () => {
    const userId = await h.addUser({ emailVerified: false, email: 'unverified@example.com' });
    const alert = h.alertFor(userId);
    await h.publish(alert);
    const failure = await finalFailure(alert.data.alertId);
    expect(failure.data).to.deep.include({ code: 'UNVERIFIED', attempts: 1 });
    expect(mailsTo('unverified@example.com')).to.have.length(0);
  });

  it('sends nothing after an unsubscribe, and again after the user subscribes again', async () => {
    const userId = await h.addUser({ email: 'fickle@example.com' });
    await h.changeUser(userId, { alertsUnsubscribed: true });
    const before = h.alertFor(userId);
    await h.publish(before);
    expect((await finalFailure(before.data.alertId)).data.code).to.equal('UNSUBSCRIBED');
    await h.changeUser(userId, { alertsUnsubscribed: false });
    const after = h.alertFor(userId);
    await h.publish(after);
    await pollUntil('the alert after re-subscribing', () => mailsTo('fickle@example.com')[0]);
    expect(mailsTo('fickle@example.com').map((mail) => mail.parsed.messageId)).to.deep.equal([
      `<${after.data.alertId}.email@tickwatch.test>`,
    ]);
  });

  it('sends nothing to a deleted user, even for an alert queued before, and purges their data', async () => {
    const userId = await h.addUser({ email: 'leaving@example.com' });
    const delivered = h.alertFor(userId);
    await h.publish(delivered);
    await pollUntil('a first alert sent', () => h.sentFor(delivered.data.alertId)[0]);
    const queued = h.alertFor(userId);
    await h.publish(
      createEvent(EventType.userDeleted, { userId }, { source: 'tickwatch/gateway' }),
    );
    await pollUntil(
      'the user tombstoned',
      async () => (await h.notifier.recipients.findById(userId).lean())?.deleted,
    );
    const dropped = h.attempts.filter((a) => a.outcome === 'dropped').length;
    await h.publish(queued);
    await pollUntil(
      'the queued alert dropped',
      () => h.attempts.filter((a) => a.outcome === 'dropped').length > dropped,
    );
    expect(mailsTo('leaving@example.com')).to.have.length(1);
    expect(await h.notifier.deliveries.countDocuments({ userId })).to.equal(0);
    const tombstone = await h.notifier.recipients.findById(userId).lean();
    expect(tombstone).to.not.have.property('email');
    expect(h.failedFor(queued.data.alertId)).to.have.length(0);
  });

  it('retries a user it does not know yet, dead-letters the alert, and delivers it on replay', async () => {
    const userId = crypto.randomUUID();
    const alert = h.alertFor(userId);
    const retriesBefore = await unknownRecipientCount('retries');
    const failuresBefore = await unknownRecipientCount('failures');
    await h.publish(alert);
    const failure = await finalFailure(alert.data.alertId);
    // The first attempt and one per tier, each reported, the last one as final.
    expect(failure.data).to.deep.include({ code: 'UNKNOWN_RECIPIENT', attempts: 4 });
    expect(h.failedFor(alert.data.alertId).map((event) => event.data.permanent)).to.deep.equal([
      false,
      false,
      false,
      true,
    ]);
    await pollUntil(
      'the alert in the DLQ',
      async () => (await h.vhost.messageCount(`${QUEUES.notifierDeliveries}.dlq`)) === 1,
    );
    const delivery = await h.notifier.deliveries
      .findById(deliveryId(alert.data.alertId, 'EMAIL'))
      .lean();
    expect(delivery?.state).to.equal(DeliveryState.failed);
    // Three attempts came back through a tier; the last one failed the delivery for good.
    expect((await unknownRecipientCount('retries')) - retriesBefore).to.equal(3);
    expect((await unknownRecipientCount('failures')) - failuresBefore).to.equal(1);

    // The user arrives; the operator replays the DLQ: the delivery is tried again and sent.
    const email = 'late@example.com';
    await h.publish(
      createEvent(
        EventType.userRegistered,
        { userId, email, emailVerified: true, timeZone: 'UTC' },
        { source: 'tickwatch/gateway' },
      ),
    );
    await pollUntil('the user projected', () => h.notifier.recipients.findById(userId).lean());
    const connection = await h.vhost.connect();
    try {
      const logger = createLogger({ name: 'dlq', level: 'silent' });
      const result = await replayDeadLetters(
        connection,
        h.topology,
        QUEUES.notifierDeliveries,
        10,
        logger,
      );
      expect(result).to.deep.equal({ replayed: 1 });
    } finally {
      await connection.close();
    }
    await pollUntil('the replayed alert sent', () => h.sentFor(alert.data.alertId)[0]);
    expect(mailsTo(email)).to.have.length(1);
  });
});
