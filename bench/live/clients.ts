/**
 * One process of live-benchmark clients (bench/live.bench.ts): COUNT WebSocket clients, client i
 * on ticker T<i mod TICKERS>, either graphql-ws subscribers of the gateway (`graphql`) or plain
 * `ws` clients of the bare broadcast server (`bare`). Connects them OPENING at a time (a burst of
 * thousands of handshakes overflows the server's accept backlog and times out clients that are
 * merely queued) and prints `ready` once each one connected or was refused; on stdin's end prints
 * one JSON line: latencies (event time → arrival, ms) and closes.
 */
import { createClient } from 'graphql-ws';
import WebSocket, { type ClientOptions } from 'ws';

/** Handshakes in progress at once, per client process. */
const OPENING = 50;

/** No per-message compression: the gateway does not offer it either, and its CPU is what counts. */
class PlainWebSocket extends WebSocket {
  constructor(address: string, protocols?: string | string[], options?: ClientOptions) {
    super(address, protocols, { ...options, perMessageDeflate: false });
  }
}

const [mode, url, countText, tickersText, token] = process.argv.slice(2);
const count = Number(countText);
const tickers = Number(tickersText);
const latencies: number[] = [];
const closes: Record<string, number> = {};
let settled = 0;
let refused = 0;
let started = 0;

const arrived = (publishedAt: string): void => {
  latencies.push(Date.now() - Date.parse(publishedAt));
};
/** Each client settles once: connected, or closed before that (counted as refused). */
const settle = (connected: boolean): void => {
  if (!connected) refused += 1;
  settled += 1;
  if (settled === count) console.log('ready');
  else if (started < count) open(started++);
};

function open(i: number): void {
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
      webSocketImpl: PlainWebSocket,
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
    const socket = new PlainWebSocket(`${url ?? ''}?ticker=${ticker}`);
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
while (started < Math.min(OPENING, count)) open(started++);

process.stdin.resume();
process.stdin.on('end', () => {
  // Exit once the line is out: a pipe is written asynchronously, and process.exit would cut it.
  process.stdout.write(`${JSON.stringify({ latencies, closes, refused })}\n`, () => {
    process.exit(0);
  });
});
