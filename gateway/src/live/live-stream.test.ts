import { expect } from 'chai';
import type { WebSocket } from 'ws';
import { createLiveStream } from './live-stream.ts';
import { createOutbox } from './outbox.ts';
import type { SharedExecution } from './shared-execution.ts';

/**
 * A socket whose writes complete only when the test says so (a client that stopped reading).
 * It keeps each message as text, and refuses one sent as a binary frame (graphql-ws is text).
 */
function stalledSocket() {
  const frames: string[] = [];
  const pending: (() => void)[] = [];
  const socket = {
    OPEN: 1,
    readyState: 1,
    send(message: Buffer, options: { binary?: boolean }, written: () => void) {
      if (options.binary !== false) throw new Error('a graphql-ws message sent as binary');
      frames.push(message.toString('utf8'));
      pending.push(written);
    },
  };
  return {
    socket: socket as unknown as WebSocket,
    frames,
    /** The client takes what was written so far. */
    drain: () => {
      for (const written of pending.splice(0)) written();
    },
  };
}

const execution: SharedExecution = { key: 'k', run: () => Buffer.from('{}') };
const price = (ticker: string, value: number) => ({
  key: ticker,
  payload: Buffer.from(`{"data":{"priceUpdated":{"ticker":"${ticker}","price":${value}}}}`),
});
const alert = (text: string) => ({ payload: Buffer.from(JSON.stringify(text)) });

describe('live stream and outbox (a subscription writing to its connection)', () => {
  it('writes at once while the socket keeps up, as a graphql-ws next message with its id', () => {
    const { socket, frames } = stalledSocket();
    const stream = createLiveStream({
      id: 'sub "1" é',
      outbox: createOutbox(socket, 2),
      execution,
      onClose: () => undefined,
    });
    stream.push(price('AAPL', 1));
    expect(frames.map((frame) => JSON.parse(frame) as unknown)).to.deep.equal([
      {
        id: 'sub "1" é',
        type: 'next',
        payload: { data: { priceUpdated: { ticker: 'AAPL', price: 1 } } },
      },
    ]);
    expect(stream.size).to.equal(0);
  });

  it('keeps what the socket cannot take: prices coalesced in place, alerts all, then in order', () => {
    const { socket, frames, drain } = stalledSocket();
    let unsentAtClose = -1;
    const outbox = createOutbox(socket, 1);
    const prices = createLiveStream({ id: 'p', outbox, execution, onClose: () => undefined });
    const alerts = createLiveStream({
      id: 'a',
      outbox,
      execution,
      onClose: (unsent) => (unsentAtClose = unsent),
    });
    prices.push(price('AAPL', 1)); // written; the socket takes no more
    expect(prices.push(price('AAPL', 2))).to.equal(false);
    expect(prices.push(price('MSFT', 3))).to.equal(false);
    expect(prices.push(price('AAPL', 4)), 'replaces the unsent AAPL').to.equal(true);
    alerts.push(alert('alert 1'));
    alerts.push(alert('alert 2'));
    expect([prices.size, alerts.size]).to.deep.equal([2, 2]);
    expect(prices.oldestWaitingSince).to.be.a('number');
    expect(frames).to.have.length(1);

    for (let i = 0; i < 5; i += 1) drain();
    const payloads = frames.map((frame) => {
      const { id, payload } = JSON.parse(frame) as { id: string; payload: unknown };
      return [id, payload];
    });
    expect(payloads).to.deep.equal([
      ['p', { data: { priceUpdated: { ticker: 'AAPL', price: 1 } } }],
      ['p', { data: { priceUpdated: { ticker: 'AAPL', price: 4 } } }],
      ['a', 'alert 1'],
      ['p', { data: { priceUpdated: { ticker: 'MSFT', price: 3 } } }],
      ['a', 'alert 2'],
    ]);
    expect([prices.size, alerts.size, prices.oldestWaitingSince]).to.deep.equal([0, 0, null]);

    alerts.push(alert('alert 3')); // the socket is stalled again
    alerts.push(alert('alert 4'));
    void alerts.return();
    expect(unsentAtClose, 'unsent when the connection closed').to.equal(1);
  });

  it('yields nothing to graphql-ws and ends when returned', async () => {
    const { socket } = stalledSocket();
    const stream = createLiveStream({
      id: 'x',
      outbox: createOutbox(socket),
      execution,
      onClose: () => undefined,
    });
    const next = stream.next();
    await stream.return();
    expect(await next).to.deep.equal({ done: true, value: undefined });
    expect(stream.closed).to.equal(true);
  });
});
