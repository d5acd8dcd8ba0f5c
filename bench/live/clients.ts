/**
 * One process of live-benchmark clients (bench/live.bench.ts): COUNT WebSocket clients, client i
 * on ticker T<i mod TICKERS>, either subscribers of the gateway speaking `graphql-transport-ws`
 * (`graphql`: connection_init with the token, one subscribe, its `next` messages) or plain
 * clients of the bare broadcast server (`bare`). Both are bare `ws` sockets that read each
 * message's event time with a string search instead of parsing it, so the clients cost as little
 * CPU as they can: on a machine of two cores they share it with the server under test. (The
 * graphql-ws client library itself is what the tests use.)
 * Connects them OPENING at a time (a burst of thousands of handshakes overflows the server's
 * accept backlog and times out clients that are merely queued) and prints `ready` once each one
 * subscribed or was refused. Stdin then brings how many events were published (round-robin over
 * the tickers); on its end the process waits until each subscribed client got its ticker's
 * events, or nothing arrived for QUIET_MS (what is left is counted missing: coalesced or lost),
 * or MAX_WAIT_MS passed (a backlog still arriving is late, not lost; a stall of a busy machine is
 * not the end), then prints one JSON line: latencies (event time → arrival, ms), closes by code,
 * refused.
 */
import WebSocket from 'ws';

/** Handshakes in progress at once, per client process. */
const OPENING = 50;
const QUIET_MS = 5_000;
const MAX_WAIT_MS = 60_000;

const [mode, url = '', countText, tickersText, token] = process.argv.slice(2);
const count = Number(countText);
const tickers = Number(tickersText);
/** Where each message carries its event's time: the Quote's publishedAt, the event's time. */
const TIME_FIELD = mode === 'graphql' ? '"publishedAt":"' : '"time":"';
const ISO_LENGTH = '2026-12-01T00:00:00.000Z'.length;
const latencies: number[] = [];
const closes: Record<string, number> = {};
let settled = 0;
let refused = 0;
let started = 0;
let lastArrival = 0;
/** The ticker index of each client that subscribed. */
const subscribedTickers: number[] = [];

const arrived = (message: string): void => {
  const at = message.indexOf(TIME_FIELD) + TIME_FIELD.length;
  lastArrival = Date.now();
  latencies.push(lastArrival - Date.parse(message.slice(at, at + ISO_LENGTH)));
};

/** Events of ticker T<t> among `events` published round-robin over the tickers. */
const eventsOf = (t: number, events: number): number => Math.ceil((events - t) / tickers);

/** Each client settles once: subscribed, or closed before that (counted as refused). */
const settle = (subscribed: boolean): void => {
  if (!subscribed) refused += 1;
  settled += 1;
  if (settled === count) console.log('ready');
  else if (started < count) open(started++);
};

function open(i: number): void {
  const ticker = `T${i % tickers}`;
  let known = false;
  const done = (subscribed: boolean): void => {
    if (known) return;
    known = true;
    if (subscribed) subscribedTickers.push(i % tickers);
    settle(subscribed);
  };
  const graphql = mode === 'graphql';
  const socket = graphql
    ? new WebSocket(url, 'graphql-transport-ws', { perMessageDeflate: false })
    : new WebSocket(`${url}?ticker=${ticker}`, { perMessageDeflate: false });
  socket.on('open', () => {
    if (graphql)
      socket.send(JSON.stringify({ type: 'connection_init', payload: { accessToken: token } }));
    else done(true);
  });
  socket.on('message', (data: Buffer) => {
    const message = data.toString();
    if (!graphql || message.startsWith('{"id"')) {
      arrived(message);
    } else if ((JSON.parse(message) as { type: string }).type === 'connection_ack') {
      socket.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: {
            query: `subscription { priceUpdated(tickers: ["${ticker}"]) { ticker price publishedAt } }`,
          },
        }),
      );
      done(true);
    }
  });
  socket.on('error', () => undefined); // a refused handshake: its close follows
  socket.on('close', (code) => {
    done(false);
    closes[String(code)] = (closes[String(code)] ?? 0) + 1;
  });
}

while (started < Math.min(OPENING, count)) open(started++);

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk: string) => (input += chunk));
process.stdin.on('end', () => {
  const events = Number(input.trim());
  // What the subscribed clients are sent: each its ticker's share of the round's events.
  const expected = subscribedTickers.reduce((sum, t) => sum + eventsOf(t, events), 0);
  const ended = Date.now();
  const timer = setInterval(() => {
    const now = Date.now();
    const complete = latencies.length >= expected;
    if (!complete && now - lastArrival < QUIET_MS && now - ended < MAX_WAIT_MS) return;
    clearInterval(timer);
    // Exit once the line is out: a pipe is written asynchronously, and process.exit would cut it.
    process.stdout.write(`${JSON.stringify({ latencies, closes, refused })}\n`, () => {
      process.exit(0);
    });
  }, 200);
});
