/**
 * The live benchmark's baseline: a bare `ws` server that consumes the same price events from
 * the broker (a live queue of its own, declared as the gateway's) and sends each one, as its JSON, to the sockets that asked
 * for its ticker (`?ticker=`). No GraphQL, no auth, no buffers of its own. Prints `port <n>`.
 */
import { once } from 'node:events';
import { EventType, gatewayLiveQueue } from '@tickwatch/contracts';
import { gatewayLiveQueueSpec, withQueues } from '@tickwatch/infra/messaging';
import { testMessaging, testTopology } from '@tickwatch/infra/messaging/testing';
import { WebSocketServer, type WebSocket } from 'ws';

const [brokerUrl] = process.argv.slice(2);
const INSTANCE = 'bench-bare-ws';
const byTicker = new Map<string, Set<WebSocket>>();
const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
const listening = once(wss, 'listening');
wss.on('connection', (socket, request) => {
  const ticker = new URL(request.url ?? '/', 'http://x').searchParams.get('ticker') ?? '';
  let set = byTicker.get(ticker);
  if (!set) {
    set = new Set();
    byTicker.set(ticker, set);
  }
  set.add(socket);
  socket.on('close', () => set.delete(socket));
});
// A live queue like the gateway's: same arguments, its own instance name.
const messaging = testMessaging(brokerUrl ?? '', {
  topology: withQueues(testTopology(), [gatewayLiveQueueSpec(INSTANCE)]),
});
await messaging.start();
await messaging.consume(gatewayLiveQueue(INSTANCE), {
  [EventType.priceUpdated]: (event) => {
    const payload = JSON.stringify(event);
    for (const socket of byTicker.get(event.data.ticker) ?? []) socket.send(payload);
    return Promise.resolve();
  },
});
await listening;
console.log(`port ${(wss.address() as { port: number }).port}`);
