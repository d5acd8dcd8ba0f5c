import { expect } from 'chai';
import { createAckWindow } from './ack-window.ts';

/** The frames the window sends, as the broker would read them. */
function recordingChannel() {
  const frames: string[] = [];
  return {
    frames,
    isOpen: true,
    ack(tag: number, allUpTo = false) {
      frames.push(allUpTo ? `ack ≤${tag}` : `ack ${tag}`);
      return this.isOpen;
    },
    nack(tag: number, requeue: boolean) {
      frames.push(`nack ${tag}${requeue ? ' requeue' : ''}`);
      return this.isOpen;
    },
  };
}

/** A window over a recording channel, with `tags` delivered (lingering 1 s unless told). */
function windowWith(tags: readonly number[], options = { lingerMs: 1_000, maxPending: 100 }) {
  const channel = recordingChannel();
  const window = createAckWindow(channel, options);
  for (const tag of tags) window.delivered(tag);
  return { channel, window };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('messaging: ack window (a live queue’s acks, gathered)', () => {
  it('sends a linger’s acks as one multiple ack, and nothing before the linger', async () => {
    const { channel, window } = windowWith([1, 2, 3], { lingerMs: 20, maxPending: 100 });
    for (const tag of [2, 1, 3]) expect(window.ack(tag)).to.equal(true);
    expect(channel.frames).to.deep.equal([]);
    await sleep(40);
    expect(channel.frames).to.deep.equal(['ack ≤3']);
  });

  it('never acks a running delivery: settled ones behind it go one by one', () => {
    const { channel, window } = windowWith([1, 2, 3, 4, 5]);
    window.ack(1);
    window.ack(2);
    window.ack(4);
    window.ack(5);
    window.flush();
    expect(channel.frames).to.deep.equal(['ack ≤2', 'ack 4', 'ack 5']);
    window.ack(3);
    window.flush();
    expect(channel.frames.at(-1)).to.equal('ack ≤3');
  });

  it('flushes at once when maxPending acks are gathered', () => {
    const { channel, window } = windowWith([1, 2, 3], { lingerMs: 1_000, maxPending: 2 });
    window.ack(1);
    expect(channel.frames).to.deep.equal([]);
    window.ack(2);
    expect(channel.frames).to.deep.equal(['ack ≤2']);
    window.ack(3);
    window.flush();
    expect(channel.frames).to.deep.equal(['ack ≤2', 'ack ≤3']);
  });

  it('nacks at once, and a nacked delivery holds back nothing after it', () => {
    const { channel, window } = windowWith([1, 2, 3]);
    window.ack(1);
    window.nack(2, true);
    expect(channel.frames).to.deep.equal(['nack 2 requeue']);
    window.ack(3);
    window.flush();
    expect(channel.frames).to.deep.equal(['nack 2 requeue', 'ack ≤3']);
  });

  it('acks every delivery up to a tag with allUpTo', () => {
    const { channel, window } = windowWith([1, 2, 3, 4]);
    window.ack(3, true);
    window.flush();
    expect(channel.frames).to.deep.equal(['ack ≤3']);
  });

  it('sends nothing for a closed channel (its tags died with it) and says so', () => {
    const { channel, window } = windowWith([1]);
    channel.isOpen = false;
    expect(window.ack(1)).to.equal(false);
    window.flush();
    expect(channel.frames).to.deep.equal([]);
  });

  it('passes an ack of a tag it never saw delivered straight through', () => {
    const { channel, window } = windowWith([]);
    window.ack(7);
    expect(channel.frames).to.deep.equal(['ack 7']);
  });
});
