import { expect } from 'chai';
import { pino } from 'pino';
import { pollUntil } from '@tickwatch/infra/testing';
import { groupAlive } from './child-process.ts';
import { processRuns } from './process-state.ts';
import { supervise, type Supervised } from './supervised.ts';

interface LogLine {
  level: number;
  msg: string;
  restart?: number;
  delayMs?: number;
}

/** A supervised `node -e script`, with the supervisor's log lines and the child's output kept. */
async function superviseScript(script: string, options: { stopGraceMs?: number } = {}) {
  const logs: LogLine[] = [];
  const output: string[] = [];
  const logger = pino(
    { level: 'info' },
    { write: (line: string) => logs.push(JSON.parse(line) as LogLine) },
  );
  const supervised = await supervise(
    {
      name: 'worker',
      command: process.execPath,
      args: ['-e', script],
      cwd: process.cwd(),
      env: { PATH: process.env.PATH ?? '' },
      onLine: (line) => output.push(line),
    },
    { logger, restartDelayMs: 20, maxRestartDelayMs: 100, ...options },
  );
  return { supervised, logs, output };
}

/** Prints the pid of a grandchild it starts in its own process group, then runs `then`. */
const withGrandchild = (then: string) => `
  const { spawn } = require('node:child_process');
  const grandchild = spawn(process.execPath, ['-e', 'process.on("SIGTERM", () => {}); setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  console.log('grandchild ' + grandchild.pid);
  ${then}`;

describe('supervised process (npm start)', () => {
  let running: Supervised | undefined;
  afterEach(async () => {
    await running?.stop();
    running = undefined;
  });

  it('restarts a process that exits on its own, with a growing delay, and logs each restart', async () => {
    const { supervised, logs } = await superviseScript('process.exit(3)');
    running = supervised;
    await pollUntil('three restarts', () => supervised.crashes() >= 3);
    const restarts = logs.filter((line) => line.level === 40);
    expect(restarts.slice(0, 3).map((line) => line.restart)).to.deep.equal([1, 2, 3]);
    expect(restarts[0]?.msg).to.match(
      /^worker exit status 3; restarting in \d+\.\d s \(restart 1\)$/,
    );
    const delays = restarts.map((line) => line.delayMs ?? 0);
    expect(delays[2]).to.be.greaterThan(delays[0]!);
    expect(
      logs.filter((line) => /^worker started \(pid \d+\)$/.test(line.msg)).length,
    ).to.be.at.least(3);
  });

  it('stops with SIGTERM and is not restarted after', async () => {
    const { supervised, logs, output } = await superviseScript(
      'process.on("SIGTERM", () => process.exit(0)); console.log("up"); setInterval(() => {}, 1000)',
    );
    const pid = supervised.pid()!;
    await pollUntil('the child to install its handler', () => output.includes('up'));
    await supervised.stop();
    expect(groupAlive(pid)).to.be.false;
    expect(supervised.crashes()).to.equal(0);
    expect(supervised.pid()).to.be.undefined;
    expect(logs.at(-1)?.msg).to.equal('worker stopped (exit status 0)');
  });

  it('kills a process that ignores SIGTERM once the grace period is over', async () => {
    const { supervised, logs, output } = await superviseScript(
      'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000)',
      { stopGraceMs: 200 },
    );
    await pollUntil('the child to install its handler', () => output.includes('up'));
    await supervised.stop();
    expect(logs.at(-1)?.msg).to.equal('worker stopped (killed by SIGKILL)');
  });

  it('takes what the process started with it, on a stop and on a crash', async () => {
    const grandchildOf = async (output: string[]) =>
      Number(
        (
          await pollUntil('the grandchild pid', () =>
            output.find((l) => l.startsWith('grandchild ')),
          )
        ).split(' ')[1],
      );
    const stopped = await superviseScript(withGrandchild('setInterval(() => {}, 1000)'), {
      stopGraceMs: 500,
    });
    const first = await grandchildOf(stopped.output);
    await stopped.supervised.stop();
    await pollUntil('the grandchild of the stopped process to be gone', () => !processRuns(first));

    const crashed = await superviseScript(withGrandchild('setTimeout(() => process.exit(1), 100)'));
    running = crashed.supervised;
    const second = await grandchildOf(crashed.output);
    await pollUntil('the crash', () => crashed.supervised.crashes() >= 1);
    await pollUntil('the grandchild of the crashed process to be gone', () => !processRuns(second));
  });
});
