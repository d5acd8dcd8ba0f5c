import { expect } from 'chai';
import { createLogger } from '../log.ts';
import { ChannelClosedError } from './broker-channel.ts';
import { MessagingErrorCode, UnroutableError } from './errors.ts';
import { noopObserver } from './observer.ts';
import { createPublisher, type OutgoingMessage, type Publisher } from './publisher.ts';
import { fakeSession } from './testing/fake-channel.ts';

const message = (id: string): OutgoingMessage => ({
  exchange: 'tickwatch.events',
  routingKey: `key.${id}`,
  content: Buffer.from(id),
  properties: { messageId: id },
});

/** What became of a publish: 'confirmed' or its error code. */
function outcome(publish: Promise<void>): Promise<string> {
  return publish.then(
    () => 'confirmed',
    (error: unknown) => (error as { code?: string }).code ?? String(error),
  );
}

describe('publisher bookkeeping (scripted channel)', () => {
  let publisher: Publisher;
  beforeEach(() => {
    publisher = createPublisher({
      logger: createLogger({ name: 'test', level: 'silent' }),
      observer: noopObserver,
      maxInFlight: 1,
      maxBuffered: 100,
      publishTimeoutMs: 5_000,
      whenBlocked: 'wait',
    });
  });
  afterEach(() => publisher.shutdown(0));

  it('rejects a message the channel cannot encode, alone, and keeps publishing', async () => {
    const session = fakeSession();
    await publisher.attach(session);
    session.throwOnNextWrite(new TypeError('content is not a buffer'));
    const bad = outcome(publisher.publish(message('bad')));
    const good = outcome(publisher.publish(message('good')));
    expect(await bad).to.equal(MessagingErrorCode.invalidMessage);
    expect(session.writes.map((w) => w.message.properties.messageId)).to.deep.equal(['good']);
    session.writes[0]?.confirm('ack');
    expect(await good).to.equal('confirmed');
  });

  it('on a lost connection resends what was unconfirmed first, keeps buffered ones, rejects unbuffered ones', async () => {
    const first = fakeSession();
    await publisher.attach(first);
    // Window of one: `a` is on the wire, the rest wait behind it.
    const a = outcome(publisher.publish(message('a')));
    const b = outcome(publisher.publish(message('b'), { buffer: false }));
    const c = outcome(publisher.publish(message('c')));
    expect(first.writes).to.have.length(1);
    publisher.detach(new Error('connection lost'));
    const d = outcome(publisher.publish(message('d')));
    // A retry copy waiting behind the window dies with its delivery's connection, as promised.
    expect(await b).to.equal(MessagingErrorCode.notConnected);

    const second = fakeSession();
    await publisher.attach(second);
    for (let i = 0; i < 3; i++) second.writes[i]?.confirm('ack');
    expect(second.writes.map((w) => w.message.properties.messageId)).to.deep.equal(['a', 'c', 'd']);
    expect(await Promise.all([a, c, d])).to.deep.equal(['confirmed', 'confirmed', 'confirmed']);
    // The first channel's late confirm (it may still arrive) changes nothing.
    first.writes[0]?.confirm('nack');
  });

  it('puts a publish back when the channel turns out to be closed, and sends it after the reconnect', async () => {
    const first = fakeSession();
    await publisher.attach(first);
    first.throwOnNextWrite(new ChannelClosedError('Channel closed'));
    const a = outcome(publisher.publish(message('a')));
    publisher.detach(new Error('connection lost'));
    const second = fakeSession();
    await publisher.attach(second);
    second.writes[0]?.confirm('ack');
    expect(await a).to.equal('confirmed');
  });

  it('rejects a returned publish when its (positive) confirm follows, and only that one', async () => {
    const session = fakeSession();
    await publisher.attach(session);
    const returned = publisher.publish(message('r')).then(
      () => null,
      (error: unknown) => error,
    );
    const [write] = session.writes;
    if (!write) throw new Error('nothing written');
    session.returnWrite(write);
    write.confirm('ack');
    const error = await returned;
    expect(error).to.be.instanceOf(UnroutableError);
    expect((error as Error).message).to.contain('"key.r"');
    const next = outcome(publisher.publish(message('r')));
    session.writes[1]?.confirm('ack');
    expect(await next).to.equal('confirmed');
  });
});
