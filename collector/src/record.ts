/**
 * Records quotes to a JSONL file the replay source can play (REPLAY_PATH):
 *
 *   npm run record -w collector -- --out quotes.jsonl [--source simulated|yahoo]
 *     [--tickers AAPL,VOD.L] [--cycles 240] [--every 15s] [--start 2026-10-02T13:30:00Z]
 *
 * The simulated market is recorded on a virtual clock (`--every` of market time per cycle, no
 * waiting; `--start` picks the first instant, `--seed`/`--speed` as SIMULATED_*); Yahoo in real
 * time, `--every` apart. Quotes are written as the source reported them, before hygiene.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { env } from '@tickwatch/infra/config';
import { createLogger } from '@tickwatch/infra/log';
import { MAX_BATCH_SIZE } from './config.ts';
import { toRecordLine } from './sources/replay/recording.ts';
import { createSimulatedSource } from './sources/simulated/simulated-source.ts';
import { createYahooSource } from './sources/yahoo/yahoo-source.ts';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    source: { type: 'string', default: 'simulated' },
    tickers: { type: 'string', default: 'AAPL,MSFT,NVDA,VOD.L,BTC-USD,EURUSD=X' },
    cycles: { type: 'string', default: '240' },
    every: { type: 'string', default: '15s' },
    start: { type: 'string' },
    seed: { type: 'string', default: '42' },
    speed: { type: 'string', default: '1' },
  },
});

if (!values.out) {
  process.stderr.write('usage: npm run record -w collector -- --out quotes.jsonl [options]\n');
  process.exit(2);
}
const everyMs = env.duration(1).parse(values.every);
const tickers = values.tickers.split(',').map((ticker) => ticker.trim().toUpperCase());
const cycles = Number(values.cycles);
let now = values.start ? Date.parse(values.start) : Date.now();
const virtualClock = values.source === 'simulated';

const source = virtualClock
  ? createSimulatedSource({
      seed: Number(values.seed),
      speed: Number(values.speed),
      hours: 'exchange',
      start: now,
      clock: () => now,
    })
  : createYahooSource({
      requestsPerMinute: 60,
      backoff: { initialMs: 1_000, maxMs: 60_000 },
      logger: createLogger({ name: 'record' }),
    });

const out = createWriteStream(values.out);
let written = 0;
for (let cycle = 0; cycle < cycles; cycle++) {
  for (let offset = 0; offset < tickers.length; offset += MAX_BATCH_SIZE) {
    await source.pace();
    const { quotes } = await source.fetchBatch(
      tickers.slice(offset, offset + MAX_BATCH_SIZE),
      AbortSignal.timeout(10_000),
    );
    for (const quote of quotes) {
      if (!out.write(`${toRecordLine(quote)}\n`)) await once(out, 'drain');
      written += 1;
    }
  }
  if (virtualClock) now += everyMs;
  else await new Promise((resolve) => setTimeout(resolve, everyMs));
}
out.end();
await once(out, 'finish');
process.stdout.write(`recorded ${written} quotes of ${tickers.length} tickers to ${values.out}\n`);
