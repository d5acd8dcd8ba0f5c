import { expect } from 'chai';
import { setTimeout as sleep } from 'node:timers/promises';
import { periodic } from './periodic.ts';

describe('periodic background passes', () => {
  it('never overlaps a pass with the next one, however slow it is', async () => {
    let active = 0;
    let mostAtOnce = 0;
    let passes = 0;
    const task = periodic(
      async () => {
        active += 1;
        mostAtOnce = Math.max(mostAtOnce, active);
        await sleep(30); // ten intervals long
        active -= 1;
        passes += 1;
      },
      { intervalMs: 3, onError: () => undefined },
    );
    task.start();
    await sleep(150);
    await task.stop();
    expect(mostAtOnce).to.equal(1);
    expect(passes).to.be.greaterThan(1);
  });

  it('reports a failed pass and runs the next one', async () => {
    const errors: unknown[] = [];
    let calls = 0;
    const task = periodic(
      () => {
        calls += 1;
        return calls === 1 ? Promise.reject(new Error('database away')) : Promise.resolve();
      },
      { intervalMs: 2, onError: (error) => errors.push(error) },
    );
    task.start();
    while (calls < 3) await sleep(2);
    await task.stop();
    expect(errors).to.have.length(1);
    expect((errors[0] as Error).message).to.equal('database away');
  });

  it('stop() waits for the pass in progress and no pass starts after it', async () => {
    let finished = false;
    let started = 0;
    const task = periodic(
      async () => {
        started += 1;
        await sleep(20);
        finished = true;
      },
      { intervalMs: 1, onError: () => undefined },
    );
    task.start();
    while (started === 0) await sleep(1);
    await task.stop();
    expect(finished).to.equal(true);
    const startedAtStop = started;
    await sleep(20);
    expect(started).to.equal(startedAtStop);
  });
});
