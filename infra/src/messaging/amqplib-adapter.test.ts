/**
 * The adapter reaches into amqplib's internals for one thing: the socket (`connection.stream`),
 * corked per event-loop turn. These tests fail when amqplib moves it or stops writing through
 * it, instead of the layer silently losing its coalesced writes.
 */
import { Socket } from 'node:net';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { coalesceWrites, socketOf } from './amqplib-adapter.ts';
import { TEST_BROKER_URL } from './testing/test-vhost.ts';

const MESSAGES = 50;

/** Socket writes (`_write` or `_writev` calls) while `work` publishes. */
async function writesDuring(socket: Socket, work: () => Promise<void>): Promise<number> {
  const internals = socket as unknown as Record<'_write' | '_writev', (...args: unknown[]) => void>;
  let writes = 0;
  const write = internals._write.bind(socket);
  const writev = internals._writev.bind(socket);
  internals._write = (...args) => {
    writes += 1;
    write(...args);
  };
  internals._writev = (...args) => {
    writes += 1;
    writev(...args);
  };
  await work();
  return writes;
}

describe('amqplib internals the adapter relies on (real RabbitMQ)', () => {
  it('finds the socket amqplib writes to, and a corked turn of publishes leaves in a few writes', async () => {
    const model = await amqplib.connect(TEST_BROKER_URL, { noDelay: true });
    try {
      const socket = socketOf(model);
      expect(socket, 'amqplib connection.stream').to.be.instanceOf(Socket);
      if (!socket) return;
      const channel = await model.createConfirmChannel();
      const queue = (await channel.assertQueue('', { exclusive: true })).queue;
      const publishTurn = async () => {
        for (let i = 0; i < MESSAGES; i++) channel.sendToQueue(queue, Buffer.from(`m${i}`));
        await channel.waitForConfirms();
      };
      // amqplib alone: at least one write per message (its frames go out as they are made).
      expect(await writesDuring(socket, publishTurn)).to.be.at.least(MESSAGES);
      coalesceWrites(socket);
      expect(await writesDuring(socket, publishTurn)).to.be.below(5);
    } finally {
      await model.close();
    }
  });
});
