import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { SAMPLE_RECORDING_FILE } from '../create-source.ts';
import { readRecording, toRecordLine } from './recording.ts';
import { createReplaySource } from './replay-source.ts';
import type { SourceQuote } from '../../quotes/source.ts';

const signal = new AbortController().signal;
const T0 = Date.parse('2026-10-02T13:30:00Z');

const quote = (ticker: string, secondsAfterT0: number, price: number): SourceQuote => ({
  ticker,
  price,
  currency: 'USD',
  exchange: 'NMS',
  exchangeTimeZone: 'America/New_York',
  marketState: 'REGULAR',
  marketTime: new Date(T0 + secondsAfterT0 * 1_000),
  delayMinutes: 0,
  previousClose: undefined,
  dayLow: undefined,
  dayHigh: undefined,
  volume: undefined,
});

const recording = [
  quote('AAPL', 0, 100),
  quote('AAPL', 10, 101),
  quote('AAPL', 20, 102),
  quote('MSFT', 5, 400),
];
const summary = (quotes: readonly SourceQuote[]) =>
  quotes.map(
    (item) => `${item.ticker} ${String(item.price)} ${(item.marketTime?.getTime() ?? 0) - T0}`,
  );

describe('replay source', () => {
  it('plays the recording at its pace: each fetch gets the newest quote whose time has come', async () => {
    let now = 1_000_000;
    const source = createReplaySource({ quotes: recording, speed: 2, clock: () => now });
    expect(summary((await source.fetchBatch(['AAPL', 'MSFT'], signal)).quotes)).to.deep.equal([
      'AAPL 100 0',
    ]);
    now += 3_000; // 6 s of market time at speed 2
    expect(summary((await source.fetchBatch(['AAPL', 'MSFT'], signal)).quotes)).to.deep.equal([
      'AAPL 100 0',
      'MSFT 400 5000',
    ]);
    now += 7_000; // 20 s
    expect(summary((await source.fetchBatch(['AAPL'], signal)).quotes)).to.deep.equal([
      'AAPL 102 20000',
    ]);
    now += 1_000; // 22 s: the lap (20 s + 1 s gap) is over, the first quote comes back 21 s later
    expect(summary((await source.fetchBatch(['AAPL'], signal)).quotes)).to.deep.equal([
      'AAPL 100 21000',
    ]);
  });

  it('at speed 0 hands out each ticker’s next quote per fetch, and loops with later times', async () => {
    const source = createReplaySource({ quotes: recording, speed: 0 });
    const fetched: string[] = [];
    for (let round = 0; round < 4; round++)
      fetched.push(...summary((await source.fetchBatch(['AAPL'], signal)).quotes));
    expect(fetched).to.deep.equal([
      'AAPL 100 0',
      'AAPL 101 10000',
      'AAPL 102 20000',
      'AAPL 100 21000',
    ]);
  });

  it('reports tickers absent from the recording as unknown', async () => {
    const source = createReplaySource({ quotes: recording, speed: 0 });
    expect((await source.fetchBatch(['NOPE'], signal)).rejected).to.deep.equal([
      { ticker: 'NOPE', reason: 'UNKNOWN_SYMBOL', detail: 'NOPE is not in the recording' },
    ]);
  });

  it('reads what it writes, and names the first bad line of a recording', async () => {
    const directory = await mkdtemp(join(tmpdir(), 'replay-'));
    const file = join(directory, 'quotes.jsonl');
    await writeFile(file, `${recording.map(toRecordLine).join('\n')}\n`);
    expect(await readRecording(file)).to.deep.equal(recording);
    await writeFile(file, `${toRecordLine(recording[0]!)}\n{"ticker":"AAPL","price":"1"}\n`);
    let error: Error | undefined;
    await readRecording(file).catch((caught: unknown) => (error = caught as Error));
    expect(error?.message).to.match(/quotes\.jsonl line 2: price: Invalid input: expected number/);
  });

  it('ships a sample recording that plays', async () => {
    const quotes = await readRecording(SAMPLE_RECORDING_FILE);
    expect(new Set(quotes.map((item) => item.ticker))).to.have.property('size', 6);
    const source = createReplaySource({ quotes, speed: 0 });
    expect((await source.fetchBatch(['AAPL', 'VOD.L'], signal)).quotes).to.have.length(2);
  });
});
