/**
 * The messaging layer's own spans, through the real broker, recorded by the SDK's in-memory
 * exporter in this process (publisher and consumer are both here; the cross-process trace is
 * the whole-system trace test's job).
 */
import { alerterPartitionQueue, EventType, HEADERS, QUEUES } from '@tickwatch/contracts';
import {
  context,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  TraceFlags,
} from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace';
import { expect } from 'chai';
import { getTracer, withSpan } from '../telemetry/spans.ts';
import { currentTraceContext } from '../telemetry/trace-context.ts';
import {
  startInMemoryTracing,
  type InMemoryTracing,
} from '../telemetry/testing/in-memory-tracing.ts';
import { pollUntil } from '../testing/poll-until.ts';
import { encodeEvent } from './envelope.ts';
import { headerString } from './message-headers.ts';
import type { Messaging } from './messaging.ts';
import { ATTEMPT_ATTRIBUTE, OUTCOME_ATTRIBUTE } from './tracing.ts';
import { marketTime, priceUpdated, tickerPerPartition, userDeleted } from './testing/events.ts';
import { Disposer, testMessaging } from './testing/fixtures.ts';
import { createTestVhost, type TestVhost } from './testing/test-vhost.ts';

const USER = '0b7e9a52-3f7e-4d1c-8a0e-5f2b7c9d1e01';
const NOTIFIER = QUEUES.notifierDeliveries;

const parentOf = (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan): string => span.spanContext().spanId;
const traceOf = (span: ReadableSpan): string => span.spanContext().traceId;

describe('messaging spans: publish and process, one trace through the broker (real RabbitMQ)', function () {
  this.timeout(30_000);
  let vhost: TestVhost;
  let tracing: InMemoryTracing;
  let messaging: Messaging;
  const disposer = new Disposer();
  const test = getTracer('test');

  before(async () => {
    vhost = await createTestVhost('tracing');
    tracing = startInMemoryTracing();
    messaging = testMessaging(vhost.url);
    await messaging.start();
  });
  after(async () => {
    await messaging.close();
    await tracing.stop();
    await vhost.delete();
  });
  afterEach(async () => {
    await disposer.disposeAll();
    tracing.reset();
  });

  const spans = (name: string) => tracing.spans().filter((span) => span.name === name);
  /** Waits until `count` spans called `name` ended. */
  const ended = (name: string, count = 1) =>
    pollUntil(`${count} ended span(s) "${name}"`, () => {
      const found = spans(name);
      return found.length >= count ? found : null;
    });

  it('makes a PRODUCER span per publish and a CONSUMER span per delivery, its child; handler spans are children of that', async () => {
    const subscription = await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: () => withSpan(test, 'send email', () => Promise.resolve()),
    });
    disposer.add(subscription, (s) => s.stop());
    const event = userDeleted(USER);
    await withSpan(test, 'delete account', () => messaging.publish(event));
    const [email] = await ended('send email');
    const [command] = spans('delete account');
    const [publish] = spans(`publish ${EventType.userDeleted}`).filter(
      (span) => span.attributes['messaging.message.id'] === event.id,
    );
    const [process] = await pollUntil('the process span ended', () => spans(`process ${NOTIFIER}`));
    if (!command || !publish || !process || !email) throw new Error('spans missing');

    expect(new Set([command, publish, process, email].map(traceOf)).size).to.equal(1);
    expect(parentOf(publish)).to.equal(idOf(command));
    expect(parentOf(process)).to.equal(idOf(publish));
    expect(process.links.map((link) => link.context.spanId)).to.deep.equal([idOf(publish)]);
    expect(parentOf(email)).to.equal(idOf(process));

    expect(publish.kind).to.equal(SpanKind.PRODUCER);
    expect(publish.attributes).to.include({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'send',
      'messaging.operation.name': 'publish',
      'messaging.destination.name': 'tickwatch.events',
      'messaging.rabbitmq.destination.routing_key': 'user.deleted',
      'messaging.message.id': event.id,
      'cloudevents.event_type': EventType.userDeleted,
    });
    expect(process.kind).to.equal(SpanKind.CONSUMER);
    expect(process.attributes).to.include({
      'messaging.system': 'rabbitmq',
      'messaging.operation.type': 'process',
      'messaging.destination.name': NOTIFIER,
      'messaging.rabbitmq.destination.routing_key': 'user.deleted',
      'messaging.message.id': event.id,
      [ATTEMPT_ATTRIBUTE]: 1,
      [OUTCOME_ATTRIBUTE]: 'ack',
    });
    expect(process.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it('keeps a retried message in its trace: publish → process (failed) → publish retry → process', async () => {
    let calls = 0;
    const subscription = await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('smtp down')) : Promise.resolve();
      },
    });
    disposer.add(subscription, (s) => s.stop());
    await withSpan(test, 'delete account', () => messaging.publish(userDeleted(USER)));
    const processes = await ended(`process ${NOTIFIER}`, 2);
    const [failed, succeeded] = processes as [ReadableSpan, ReadableSpan];
    const retry = spans(`publish ${EventType.userDeleted}`).find(
      (span) => span.attributes['messaging.destination.name'] === 'tickwatch.retry.t1',
    );
    const [command] = spans('delete account');
    if (!retry || !command) throw new Error('spans missing');

    expect(new Set([command, failed, retry, succeeded].map(traceOf)).size).to.equal(1);
    expect(parentOf(retry)).to.equal(idOf(failed));
    expect(parentOf(succeeded)).to.equal(idOf(retry));
    expect(failed.attributes).to.include({ [ATTEMPT_ATTRIBUTE]: 1, [OUTCOME_ATTRIBUTE]: 'retry' });
    expect(failed.status.code).to.equal(SpanStatusCode.ERROR);
    expect(failed.events.map((e) => e.attributes?.['exception.message'])).to.deep.equal([
      'smtp down',
    ]);
    expect(succeeded.attributes).to.include({ [ATTEMPT_ATTRIBUTE]: 2, [OUTCOME_ATTRIBUTE]: 'ack' });
  });

  it('continues the trace a message carries when published later with no span active (outbox relay, DLQ replay)', async () => {
    const seen: string[] = [];
    const subscription = await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: (_event, context) => {
        seen.push(headerString(context.headers, HEADERS.traceparent) ?? 'none');
        return Promise.resolve();
      },
    });
    disposer.add(subscription, (s) => s.stop());
    // What the relay does with a stored entry: the command's traceparent, published as is.
    const stored = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    await messaging.publishMessage(encodeEvent(userDeleted(USER), { traceparent: stored }));
    const [process] = await ended(`process ${NOTIFIER}`);
    const [publish] = spans(`publish ${EventType.userDeleted}`);
    if (!publish || !process) throw new Error('spans missing');

    expect(traceOf(publish)).to.equal('0af7651916cd43dd8448eb211c80319c');
    expect(parentOf(publish)).to.equal('b7ad6b7169203331');
    expect(parentOf(process)).to.equal(idOf(publish));
    // The header now names the publish span, in the command's trace.
    expect(seen).to.deep.equal([`00-0af7651916cd43dd8448eb211c80319c-${idOf(publish)}-01`]);
  });

  it('keeps a trace the sampler left out unsampled through the broker: its context travels, no span is recorded', async () => {
    const inHandler: (string | undefined)[] = [];
    const subscription = await messaging.consume(NOTIFIER, {
      [EventType.userDeleted]: async () => {
        inHandler.push(currentTraceContext().traceparent);
        await Promise.resolve();
      },
    });
    disposer.add(subscription, (s) => s.stop());
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const sampledOut = trace.setSpanContext(ROOT_CONTEXT, {
      traceId,
      spanId: '00f067aa0ba902b7',
      traceFlags: TraceFlags.NONE,
    });
    await context.with(sampledOut, () => messaging.publish(userDeleted(USER)));
    await pollUntil('handled', () => inHandler.length === 1);
    // Same trace, flag off: what the handler publishes stays out of the sample as well. A
    // consumer that got no context would have started a trace of its own, sampled.
    expect(inHandler[0]).to.match(new RegExp(`^00-${traceId}-[0-9a-f]{16}-00$`));
    expect(tracing.spans()).to.deep.equal([]);
  });

  it('makes one span per ordered batch, a child of its first message, linked to every message', async () => {
    const [ticker] = tickerPerPartition() as [string];
    const batches: number[] = [];
    // Partition 0's price events, in batches of up to 10, their sizes recorded.
    const consumeBatches = () =>
      messaging.consumePartitionBatches(
        ({ items }) => {
          batches.push(items.length);
          return Promise.resolve();
        },
        {
          types: [EventType.priceUpdated],
          preferred: [0],
          takeoverDelayMs: 0,
          partitions: 1,
          maxBatch: 10,
        },
      );
    const subscription = await consumeBatches();
    disposer.add(subscription, (s) => s.stop());
    await subscription.stop();
    // Published while nobody consumes: the next subscription gets them as one batch.
    await withSpan(test, 'fetch quotes', () =>
      Promise.all(
        [1, 2, 3].map((i) => messaging.publish(priceUpdated(ticker, 100 + i, marketTime(i)))),
      ),
    );
    const again = await consumeBatches();
    disposer.add(again, (s) => s.stop());
    const queue = alerterPartitionQueue(0);
    await pollUntil('all three handled', () => batches.reduce((sum, n) => sum + n, 0) === 3);
    const processes = await ended(`process ${queue}`, batches.length);
    const publishes = spans(`publish ${EventType.priceUpdated}`).map(idOf);

    // However the broker's deliveries fell into batches: one span each, linked to its messages.
    expect(processes.map((span) => span.links.length)).to.deep.equal(batches);
    for (const span of processes) {
      expect(span.attributes).to.include({
        'messaging.destination.name': queue,
        [OUTCOME_ATTRIBUTE]: 'ack',
      });
      if (span.links.length > 1) {
        expect(span.attributes['messaging.batch.message_count']).to.equal(span.links.length);
      }
      expect(publishes).to.include.members(span.links.map((link) => link.context.spanId));
      expect(parentOf(span)).to.equal(span.links[0]?.context.spanId);
    }
  });
});
