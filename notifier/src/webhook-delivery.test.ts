/**
 * Alerts by webhook: signed POSTs that a receiver written from the README's specification
 * verifies (and refuses when altered, replayed or signed with another secret), retried on 5xx,
 * failed for good on 4xx, and never sent to a private address unless configuration allows it.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliveryId, EventType } from '@tickwatch/contracts';
import { exampleData } from '@tickwatch/contracts/examples';
import { createLinkSigner } from '@tickwatch/infra/signed-links';
import { describeOnMongoTargets } from '@tickwatch/infra/messaging/testing';
import { pollUntil } from '@tickwatch/infra/testing';
import { expect } from 'chai';
import { DeliveryError } from './deliveries/delivery-error.ts';
import { createLinks } from './email/links.ts';
import { TEST_LINK_KEY, TEST_PUBLIC_BASE_URL, useNotifierHarness } from './testing/harness.ts';
import { isPublicAddress } from './webhook/target-guard.ts';
import { createWebhookSender } from './webhook/webhook-sender.ts';

/**
 * Verification as a receiver implements it from the specification alone: parse
 * `t=<seconds>,v1=<hex>`, recompute HMAC-SHA256("<t>.<raw body>") with the secret, compare in
 * constant time, refuse timestamps more than five minutes away.
 */
function verifySignature(
  secret: string,
  header: string,
  rawBody: string,
  nowSeconds = Math.floor(Date.now() / 1000),
): boolean {
  const fields = new Map(
    header.split(',').map((part) => {
      const at = part.indexOf('=');
      return [part.slice(0, at), part.slice(at + 1)] as const;
    }),
  );
  const timestamp = fields.get('t') ?? '';
  if (!/^\d+$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > 300) return false;
  const expected = createHmac('sha256', secret).update(`${timestamp}.${rawBody}`).digest();
  const given = Buffer.from(fields.get('v1') ?? '', 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A webhook receiver on 127.0.0.1 answering with the statuses it is given, in turn. */
async function startReceiver() {
  const received: Received[] = [];
  const statuses: number[] = [];
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(statuses.shift() ?? 200, { 'x-request-id': `req-${received.length}` });
      response.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    received,
    url: (path: string) => `http://127.0.0.1:${port}${path}`,
    answer: (...next: number[]) => statuses.push(...next),
    to: (path: string) => received.filter((request) => request.path === path),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}

const SECRET = 'whsec_test_0123456789abcdef';

describeOnMongoTargets('notifier: webhook delivery', (target) => {
  const h = useNotifierHarness(target);
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  before(async () => {
    receiver = await startReceiver();
  });
  after(() => receiver.close());

  const webhookUser = (path: string) =>
    h.addUser({ webhookUrl: receiver.url(path), webhookSecret: SECRET });

  it('POSTs the alert as JSON, signed so that a receiver written from the spec can verify it', async () => {
    const userId = await webhookUser('/signed');
    const alert = h.alertFor(userId, { channels: ['WEBHOOK'] });
    await h.publish(alert);
    const [request] = await pollUntil('the webhook call', () => {
      const calls = receiver.to('/signed');
      return calls.length > 0 && calls;
    });
    const signature = String(request?.headers['x-tickwatch-signature']);
    const body = request?.body ?? '';
    expect(verifySignature(SECRET, signature, body)).to.be.true;
    expect(request?.headers['content-type']).to.equal('application/json');
    expect(request?.headers['x-tickwatch-event']).to.equal('alert.triggered');
    const delivery = deliveryId(alert.data.alertId, 'WEBHOOK');
    expect(request?.headers['x-tickwatch-delivery']).to.equal(delivery);
    const payload = JSON.parse(body) as { type: string; deliveryId: string; alert: object };
    expect(payload).to.deep.include({ type: 'alert.triggered', deliveryId: delivery });
    expect(payload.alert).to.deep.include({
      alertId: alert.data.alertId,
      ticker: 'AAPL',
      price: 333.69,
      previousPrice: 329.8,
      condition: { type: 'ABOVE', threshold: 330 },
      summary: 'AAPL rose above 330.00 — now 333.69 USD',
    });
    // Altered, signed with another secret, or replayed later: refused.
    expect(verifySignature(SECRET, signature, body.replace('333.69', '999.99'))).to.be.false;
    expect(verifySignature(`${SECRET}x`, signature, body)).to.be.false;
    expect(verifySignature(SECRET, signature, body, Math.floor(Date.now() / 1000) + 301)).to.be
      .false;

    const sent = await pollUntil('notification.sent', () => h.sentFor(alert.data.alertId)[0]);
    expect(sent.data).to.deep.include({ channel: 'WEBHOOK', messageId: 'req-1' });
  });

  it('retries a receiver answering 5xx and delivers once it answers 2xx', async () => {
    const userId = await webhookUser('/flaky');
    receiver.answer(503);
    const alert = h.alertFor(userId, { channels: ['WEBHOOK'] });
    await h.publish(alert);
    await pollUntil('sent after the retry', () => h.sentFor(alert.data.alertId)[0]);
    expect(receiver.to('/flaky')).to.have.length(2);
    expect(h.failedFor(alert.data.alertId).map((event) => event.data)).to.deep.equal([
      {
        deliveryId: deliveryId(alert.data.alertId, 'WEBHOOK'),
        alertId: alert.data.alertId,
        userId,
        channel: 'WEBHOOK',
        attempts: 1,
        code: 'WEBHOOK_ERROR',
        reason: 'webhook answered HTTP 503',
        permanent: false,
      },
    ]);
  });

  it('fails for good when the receiver answers 4xx', async () => {
    const userId = await webhookUser('/gone');
    receiver.answer(410);
    const alert = h.alertFor(userId, { channels: ['WEBHOOK'] });
    await h.publish(alert);
    const failure = await pollUntil(
      'notification.failed',
      () => h.failedFor(alert.data.alertId)[0],
    );
    expect(failure.data).to.deep.include({ code: 'WEBHOOK_ERROR', permanent: true });
    expect(receiver.to('/gone')).to.have.length(1);
  });

  it('delivers on both channels when the rule asks for both', async () => {
    const userId = await webhookUser('/both');
    const alert = h.alertFor(userId, { channels: ['EMAIL', 'WEBHOOK'] });
    await h.publish(alert);
    await pollUntil('both sent', () => h.sentFor(alert.data.alertId).length === 2);
    expect(receiver.to('/both')).to.have.length(1);
    expect(
      h.sink.messages.filter((m) => m.parsed.messageId?.includes(alert.data.alertId)),
    ).to.have.length(1);
  });
});

describe('webhook targets', () => {
  const sender = (allowPrivateTargets: boolean) =>
    createWebhookSender({
      links: createLinks({
        publicBaseUrl: TEST_PUBLIC_BASE_URL,
        signer: createLinkSigner({ key: TEST_LINK_KEY }),
      }),
      timeoutMs: 2_000,
      allowPrivateTargets,
    });
  const alert = exampleData[EventType.alertTriggered];
  const recipientFor = (url: string) => ({
    userId: alert.userId,
    email: 'ada@example.com',
    emailVerified: true,
    timeZone: 'UTC',
    alertsUnsubscribed: false,
    webhook: { url, secret: SECRET },
    maxAlertsPerHour: null,
    quietHours: null,
  });

  it('refuses loopback and private targets, by literal address or by name, without calling them', async () => {
    const receiver = await startReceiver();
    try {
      const port = new URL(receiver.url('/')).port;
      for (const url of [`http://127.0.0.1:${port}/x`, `http://localhost:${port}/x`]) {
        const error = await sender(false)
          .send({ kind: 'ALERT', deliveryId: 'd', alert }, recipientFor(url))
          .then(
            () => null,
            (e: unknown) => e,
          );
        expect(error, url).to.be.instanceOf(DeliveryError);
        expect((error as DeliveryError).code).to.equal('WEBHOOK_TARGET_REFUSED');
        expect((error as DeliveryError).permanent).to.be.true;
      }
      expect(receiver.received).to.have.length(0);
      // Allowed by configuration (tests, private deployments): it goes through.
      await sender(true).send(
        { kind: 'TEST', deliveryId: 'd', requestId: 'r' },
        recipientFor(`http://127.0.0.1:${port}/x`),
      );
      expect(receiver.received).to.have.length(1);
    } finally {
      await receiver.close();
    }
  });

  it('counts only public unicast addresses as public', () => {
    const verdicts = Object.fromEntries(
      [
        '127.0.0.1',
        '10.1.2.3',
        '172.16.0.1',
        '192.168.1.1',
        '169.254.169.254',
        '100.64.0.1',
        '0.0.0.0',
        '::1',
        'fc00::1',
        'fe80::1',
        '::ffff:127.0.0.1',
        '93.184.215.14',
        '2606:2800:21f:cb07:6820:80da:af6b:8b2c',
      ].map((address) => [address, isPublicAddress(address)]),
    );
    expect(verdicts).to.deep.equal({
      '127.0.0.1': false,
      '10.1.2.3': false,
      '172.16.0.1': false,
      '192.168.1.1': false,
      '169.254.169.254': false,
      '100.64.0.1': false,
      '0.0.0.0': false,
      '::1': false,
      'fc00::1': false,
      'fe80::1': false,
      '::ffff:127.0.0.1': false,
      '93.184.215.14': true,
      '2606:2800:21f:cb07:6820:80da:af6b:8b2c': true,
    });
  });
});
