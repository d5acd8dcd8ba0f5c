import { expect } from 'chai';
import { createLogOutput, type LogFormat } from './log-output.ts';

function capture(format: LogFormat, interactive = false) {
  let written = '';
  const output = createLogOutput({
    format,
    interactive,
    write: (text) => {
      written += text;
    },
  });
  return { output, lines: () => written.split('\n').slice(0, -1) };
}

const record = {
  level: 'info',
  time: '2026-11-25T14:33:50.752Z',
  service: 'gateway',
  instance: 'host-1-abcdef',
  port: 4000,
  msg: 'started',
};

describe('npm start output', () => {
  it('JSON mode passes JSON lines through untouched, one per line', () => {
    const { output, lines } = capture('json');
    output.line('gateway', JSON.stringify(record));
    expect(lines()).to.deep.equal([JSON.stringify(record)]);
    expect(output.pretty).to.be.false;
  });

  it('JSON mode wraps a plain line into a log object of its process, stderr as an error', () => {
    const { output, lines } = capture('json');
    output.line('rabbitmq', 'Starting broker...');
    output.line('alerter', 'TypeError: boom', 'stderr');
    const [first, second] = lines().map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(first).to.include({ level: 'info', service: 'rabbitmq', msg: 'Starting broker...' });
    expect(second).to.include({ level: 'error', service: 'alerter', msg: 'TypeError: boom' });
  });

  it('pretty mode shows each record on one line behind its process name, without the ids', () => {
    const { output, lines } = capture('pretty');
    output.line('gateway', JSON.stringify(record));
    expect(lines()).to.deep.equal(['gateway   │ [14:33:50.752] INFO: started {"port":4000}']);
  });

  it('pretty mode prefixes every line of a multi-line record (an error with its stack)', () => {
    const { output, lines } = capture('pretty');
    const err = { type: 'Error', message: 'boom', stack: 'Error: boom\n    at main.ts:1' };
    output.line('notifier', JSON.stringify({ ...record, level: 'error', msg: 'failed', err }));
    expect(lines().length).to.be.greaterThan(2);
    for (const line of lines()) expect(line).to.match(/^notifier {2}│ /);
    expect(lines().join('\n')).to.include('at main.ts:1');
  });

  it('auto is pretty in a terminal and JSON otherwise; the banner shows only when pretty', () => {
    const terminal = capture('auto', true);
    const pipe = capture('auto', false);
    for (const { output } of [terminal, pipe]) output.text('tickwatch is ready');
    expect(terminal.output.pretty).to.be.true;
    expect(terminal.lines()).to.deep.equal(['tickwatch is ready']);
    expect(pipe.lines()).to.deep.equal([]);
  });

  it('skips blank lines', () => {
    const { output, lines } = capture('json');
    output.line('mongo', '   ');
    expect(lines()).to.deep.equal([]);
  });
});
