/**
 * Declares a topology in small steps (exchanges, queues, bindings), re-run on every
 * (re)connect: the broker may have lost state, and declaring what exists is a no-op.
 *
 * A declaration with other arguments than the existing queue makes the broker close the
 * channel (406). Each step then opens a fresh channel and carries on, so one start-up error
 * lists every mismatched queue and argument instead of only the first.
 */
import type { BrokerChannel, BrokerConnection } from '../broker-channel.ts';
import { TopologyMismatchError, type TopologyMismatch } from '../errors.ts';
import type { Topology } from './model.ts';
import { parseMismatch } from './mismatch.ts';

interface DeclareContext {
  channel(): Promise<BrokerChannel>;
  readonly mismatches: TopologyMismatch[];
}

type Step = (topology: Topology, context: DeclareContext) => Promise<void>;

const assertExchanges: Step = async (topology, context) => {
  for (const exchange of topology.exchanges) {
    await attempt(context, { kind: 'exchange', name: exchange.name }, (channel) =>
      channel.assertExchange(exchange.name, exchange.type, { durable: true }),
    );
  }
};

const assertQueues: Step = async (topology, context) => {
  for (const queue of topology.queues) {
    await attempt(context, { kind: 'queue', name: queue.name }, (channel) =>
      channel.assertQueue(queue.name, {
        durable: queue.durable,
        exclusive: queue.exclusive,
        autoDelete: queue.autoDelete,
        arguments: queue.arguments,
      }),
    );
  }
};

const bindQueues: Step = async (topology, context) => {
  // Binding a queue that failed to declare would only repeat its error.
  const failed = new Set(context.mismatches.map((m) => m.name));
  for (const queue of topology.queues) {
    if (failed.has(queue.name)) continue;
    for (const binding of queue.bindings) {
      if (failed.has(binding.exchange)) continue;
      const channel = await context.channel();
      await channel.bindQueue(queue.name, binding.exchange, binding.pattern);
    }
  }
};

const STEPS: readonly Step[] = [assertExchanges, assertQueues, bindQueues];

/** Rejects with TopologyMismatchError (fatal: needs a migration) or the broker's error. */
export async function declareTopology(
  connection: BrokerConnection,
  topology: Topology,
): Promise<void> {
  let current: BrokerChannel | undefined;
  const context: DeclareContext = {
    mismatches: [],
    async channel() {
      if (!current?.isOpen)
        current = await connection.openChannel({ closed: () => {} }, { confirm: false });
      return current;
    },
  };
  try {
    for (const step of STEPS) await step(topology, context);
  } finally {
    await current?.close();
  }
  if (context.mismatches.length > 0) throw new TopologyMismatchError(context.mismatches);
}

async function attempt(
  context: DeclareContext,
  declared: { kind: 'queue' | 'exchange'; name: string },
  declare: (channel: BrokerChannel) => Promise<unknown>,
): Promise<void> {
  const channel = await context.channel();
  try {
    await declare(channel);
  } catch (error) {
    const mismatch = parseMismatch(error, declared);
    if (!mismatch) throw error;
    context.mismatches.push(mismatch);
  }
}
