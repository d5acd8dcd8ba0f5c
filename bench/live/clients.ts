/**
 * One process of live-benchmark clients (bench/live.bench.ts): COUNT WebSocket clients, client i
 * on ticker T<i mod TICKERS>, either graphql-ws subscribers of the gateway (`graphql`) or plain
 * `ws` clients of the bare broadcast server (`bare`). Prints `ready` once each one connected or
 * was refused;
 * on stdin's end prints one JSON line: latencies (event time → arrival, ms) and closes.
 */
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [mode, url, countText, tickersText, token] = process.argv.slice(2);
const count = Number(countText);
const tickers = Number(tickersText);
const latencies: number[] = [];
const closes: Record<string, number> = {};
let settled = 0;
let refused = 0;

const arrived = (publishedAt: string): void => {
  latencies.push(Date.now() - Date.parse(publishedAt));
};
/** Each client settles once: connected, or closed before that (counted as refused). */
const settle = (connected: boolean): void => {
  if (!connected) refused += 1;
  settled += 1;
  if (settled === count) console.log('ready');
};

for (let i = 0; i < count; i += 1) {
  const ticker = `T${i % tickers}`;
  let known = false;
  const done = (connected: boolean): void => {
    if (known) return;
    known = true;
    settle(connected);
  };
  if (mode === 'graphql') {
    const client = createClient({
      url: url ?? '',
      webSocketImpl: WebSocket,
      retryAttempts: 0,
      connectionParams: { accessToken: token },
      on: {
        connected: () => {
          done(true);
        },
        closed: (event) => {
          done(false);
          const code = String((event as { code: number }).code);
          closes[code] = (closes[code] ?? 0) + 1;
        },
      },
    });
    client.subscribe<{ priceUpdated: { publishedAt: string } }>(
      {
        query: `subscription { priceUpdated(tickers: ["${ticker}"]) { ticker price publishedAt } }`,
      },
      {
        next: ({ data }) => {
          if (data) arrived(data.priceUpdated.publishedAt);
        },
        error: () => undefined,
        complete: () => undefined,
      },
    );
  } else {
    const socket = new WebSocket(`${url ?? ''}?ticker=${ticker}`);
    socket.on('open', () => {
      done(true);
    });
    socket.on('message', (data: Buffer) => {
      arrived((JSON.parse(data.toString()) as { time: string }).time);
    });
    socket.on('close', (code) => {
      done(false);
      closes[String(code)] = (closes[String(code)] ?? 0) + 1;
    });
  }
}

process.stdin.resume();
process.stdin.on('end', () => {
  console.log(JSON.stringify({ latencies, closes, refused }));
  process.exit(0);
});
