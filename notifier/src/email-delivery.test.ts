/**
 * Alerts by email through the whole notifier (RabbitMQ, MongoDB, a real SMTP server): what the
 * email says, its headers and links, and the once-and-never-lost guarantees (redelivery,
 * concurrent replicas, SMTP down then up, permanent rejection).
 */
import { createEvent, deliveryId, EventType } from '@tickwatch/contracts';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { createLinkSigner, LinkTokenError } from '@tickwatch/infra/signed-links';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { DeliveryState } from './deliveries/delivery-model.ts';
import { manageRuleQuery } from './email/links.ts';
import { TEST_LINK_KEY, TEST_PUBLIC_BASE_URL, useNotifierHarness } from './testing/harness.ts';

describeOnMongoTargets('notifier: email delivery', (target) => {
  const h = useNotifierHarness(target, {
    // Long enough for the test to bring SMTP back before the last attempt.
    tiers: [
      { name: 'n1', delayMs: 300 },
      { name: 'n2', delayMs: 1_000 },
      { name: 'n3', delayMs: 3_000 },
    ],
  });
  const mailsTo = (address: string) =>
    h.sink.messages.filter((mail) => mail.envelope.to.includes(address));
  const addressOf = async (userId: string) =>
    (await h.notifier.recipients.findById(userId).lean())?.email ?? '';

  it('emails an alert with every field, in the user’s time zone, with its links and headers', async () => {
    const userId = await h.addUser({ timeZone: 'America/New_York' });
    const alert = h.alertFor(userId, {
      ticker: 'AAPL',
      condition: { type: 'ABOVE', threshold: 200 },
      price: 201.37,
      previousPrice: 199.8,
      marketTime: '2026-10-02T19:59:01.000Z',
      delayMinutes: 15,
    });
    await h.publish(alert);
    const address = await addressOf(userId);
    const mail = await pollUntil('the email', () => mailsTo(address)[0]);
    const { parsed } = mail;

    expect(parsed.subject).to.equal('AAPL rose above 200.00 — now 201.37 USD');
    expect(parsed.from?.value).to.deep.equal([
      { name: 'tickwatch', address: 'alerts@tickwatch.test' },
    ]);
    expect(parsed.messageId).to.equal(`<${alert.data.alertId}.email@tickwatch.test>`);
    const text = parsed.text ?? '';
    for (const line of [
      'Ticker           AAPL',
      'Condition        Price above 200.00 USD',
      'Threshold        200.00 USD',
      'Price            201.37 USD',
      'Previous price   199.80 USD',
      'Change           +1.57 USD (+0.79 %)',
      'Market time      Fri, 2 Oct 2026, 15:59:01 GMT-4 (America/New_York)',
      'Quote delay      Delayed by the source about 15 minutes',
      'Alert frequency  Every time the price crosses the threshold',
    ]) {
      expect(text).to.include(line);
    }
    const html = typeof parsed.html === 'string' ? parsed.html : '';
    expect(html).to.include('<th align="left" valign="top"');
    expect(html).to.include('15:59:01 GMT-4');

    // Manage link: GraphiQL with the rule query filled in.
    const manage = new URL(/Manage this rule: (\S+)/.exec(text)?.[1] ?? '');
    expect(`${manage.origin}${manage.pathname}`).to.equal(`${TEST_PUBLIC_BASE_URL}/graphql`);
    expect(manage.searchParams.get('query')).to.equal(manageRuleQuery(alert.data.ruleId));

    // One-click unsubscribe (RFC 8058): the header, the footer link, a token for this user.
    const raw = mail.raw.toString('utf8').replace(/\r\n[ \t]+/g, ' '); // unfolded
    expect(raw).to.match(/^List-Unsubscribe-Post: List-Unsubscribe=One-Click\r$/m);
    expect(raw).to.match(/^Auto-Submitted: auto-generated\r$/m);
    const unsubscribe = new URL(/^List-Unsubscribe: <([^>]+)>\r$/m.exec(raw)?.[1] ?? '');
    expect(`${unsubscribe.origin}${unsubscribe.pathname}`).to.equal(
      `${TEST_PUBLIC_BASE_URL}/unsubscribe`,
    );
    expect(text).to.include(`Unsubscribe from all alerts (one click): ${unsubscribe.toString()}`);
    const token = unsubscribe.searchParams.get('token') ?? '';
    const links = createLinkSigner({ key: TEST_LINK_KEY });
    const claims = await links.verify('unsubscribe', token);
    expect(claims.subject).to.equal(userId);
    expect(claims.expiresAt.getTime() - Date.now()).to.be.above(364 * 86_400_000);
    // A tampered token is refused: one character of the signature changed.
    const last = token.at(-2) === 'A' ? 'B' : 'A';
    const tampered = `${token.slice(0, -2)}${last}${token.at(-1) ?? ''}`;
    const refused = await links.verify('unsubscribe', tampered).then(
      () => null,
      (error: unknown) => error,
    );
    expect(refused).to.be.instanceOf(LinkTokenError);
    expect((refused as LinkTokenError).problem).to.equal('bad-signature');

    // notification.sent carries the Message-ID; the delivery is SENT.
    const [sent] = await pollUntil('notification.sent', () => {
      const events = h.sentFor(alert.data.alertId);
      return events.length > 0 && events;
    });
    expect(sent?.data).to.deep.include({
      deliveryId: deliveryId(alert.data.alertId, 'EMAIL'),
      userId,
      channel: 'EMAIL',
      attempts: 1,
      messageId: parsed.messageId,
    });
    const delivery = await h.notifier.deliveries
      .findById(deliveryId(alert.data.alertId, 'EMAIL'))
      .lean();
    expect(delivery?.state).to.equal(DeliveryState.sent);
    expect(delivery).to.not.have.property('lease');
  });

  it('sends one email per alert when the same alert arrives again, also at once on two replicas', async () => {
    await h.startReplica();
    const userId = await h.addUser();
    const address = await addressOf(userId);
    const alerts = Array.from({ length: 10 }, () => h.alertFor(userId));
    // Each alert three times: twice at once (two replicas race), once more after.
    await Promise.all(alerts.flatMap((alert) => [h.publish(alert), h.publish(alert)]));
    await pollUntil('every alert sent', () =>
      alerts.every((alert) => h.sentFor(alert.data.alertId).length >= 1),
    );
    const duplicatesBefore = h.attempts.filter((a) => a.outcome === 'duplicate').length;
    await Promise.all(alerts.map((alert) => h.publish(alert)));
    await pollUntil(
      'the late repeats acked as duplicates',
      () => h.attempts.filter((a) => a.outcome === 'duplicate').length >= duplicatesBefore + 10,
    );
    const ids = mailsTo(address).map((mail) => mail.parsed.messageId);
    expect(ids).to.have.length(10);
    expect(new Set(ids).size).to.equal(10);
    for (const alert of alerts) expect(h.sentFor(alert.data.alertId)).to.have.length(1);
  });

  it('keeps every email while SMTP is down and sends each once when it is back', async () => {
    const userId = await h.addUser();
    const address = await addressOf(userId);
    await h.sink.stop();
    const alerts = Array.from({ length: 5 }, () => h.alertFor(userId));
    try {
      await Promise.all(alerts.map((alert) => h.publish(alert)));
      // Each first attempt failed (connection refused) and said so, as a retryable failure.
      const failures = await pollUntil('a failure per alert', () => {
        const found = alerts.map((alert) => h.failedFor(alert.data.alertId)[0]);
        return found.every(Boolean) && found;
      });
      for (const failure of failures) {
        expect(failure?.data).to.deep.include({ code: 'SMTP_ERROR', permanent: false });
      }
    } finally {
      await h.sink.start();
    }
    await pollUntil('every alert sent', () =>
      alerts.every((alert) => h.sentFor(alert.data.alertId).length === 1),
    );
    const ids = mailsTo(address).map((mail) => mail.parsed.messageId);
    expect(ids.sort()).to.deep.equal(
      alerts.map((alert) => `<${alert.data.alertId}.email@tickwatch.test>`).sort(),
    );
  });

  it('fails an alert for good, with the reason, when the server refuses the address', async () => {
    const userId = await h.addUser();
    const address = await addressOf(userId);
    h.sink.rejectRecipient(address, { code: 550, message: '5.1.1 No such user here' });
    const alert = h.alertFor(userId);
    await h.publish(alert);
    const [failure] = await pollUntil('notification.failed', () => {
      const events = h.failedFor(alert.data.alertId);
      return events.length > 0 && events;
    });
    expect(failure?.data).to.deep.include({
      deliveryId: deliveryId(alert.data.alertId, 'EMAIL'),
      channel: 'EMAIL',
      code: 'SMTP_ERROR',
      permanent: true,
      attempts: 1,
    });
    expect(failure?.data.reason).to.match(/550 5\.1\.1 No such user here/);
    expect(mailsTo(address)).to.have.length(0);
    const delivery = await h.notifier.deliveries
      .findById(deliveryId(alert.data.alertId, 'EMAIL'))
      .lean();
    expect(delivery?.state).to.equal(DeliveryState.failed);
    expect(h.sentFor(alert.data.alertId)).to.have.length(0);
  });

  it('sends a test notification through the same path', async () => {
    const userId = await h.addUser();
    const address = await addressOf(userId);
    const requestId = crypto.randomUUID();
    await h.publish(
      createEvent(
        EventType.notificationRequested,
        { requestId, userId, channels: ['EMAIL'] },
        { source: 'tickwatch/gateway', id: requestId },
      ),
    );
    const mail = await pollUntil('the test email', () => mailsTo(address)[0]);
    expect(mail.parsed.subject).to.equal('tickwatch test notification');
    expect(mail.parsed.messageId).to.equal(`<${requestId}.test@tickwatch.test>`);
    await pollUntil('notification.sent', () =>
      h.sent.find((event) => event.data.deliveryId === deliveryId(requestId, 'EMAIL')),
    );
  });
});
