/**
 * Builds the AsyncAPI 3.0 document (contracts/asyncapi.yaml) from the catalogue, so the
 * published description of every channel and message cannot drift from the zod schemas.
 * Regenerate with `npm run asyncapi -w contracts`; a test fails when the file is stale.
 */
import { z } from 'zod';
import { catalogue, EVENT_TYPES, type EventType } from './catalogue.ts';
import { Envelope } from './envelope.ts';
import { exampleData } from './examples.ts';
import { EXCHANGES, HEADERS, RETRY_TIERS } from './names.ts';
import { PARTITIONS } from './partition.ts';

type Service = 'gateway' | 'collector' | 'alerter' | 'notifier';

/** Who publishes each event and who consumes it (DESIGN.md §1). */
export const eventFlow: Readonly<Record<EventType, { from: Service; to: readonly Service[] }>> = {
  'tickwatch.user.registered.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.user.preferences-changed.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.user.deleted.v1': { from: 'gateway', to: ['collector', 'notifier'] },
  'tickwatch.account.verification-requested.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.account.password-reset-requested.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.account.email-change-requested.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.account.registration-attempted.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.rule.created.v1': { from: 'gateway', to: ['collector', 'alerter'] },
  'tickwatch.rule.updated.v1': { from: 'gateway', to: ['collector', 'alerter'] },
  'tickwatch.rule.deleted.v1': { from: 'gateway', to: ['collector', 'alerter'] },
  'tickwatch.watch.added.v1': { from: 'gateway', to: ['collector'] },
  'tickwatch.watch.removed.v1': { from: 'gateway', to: ['collector'] },
  'tickwatch.price.updated.v1': { from: 'collector', to: ['alerter', 'gateway'] },
  'tickwatch.ticker.rejected.v1': { from: 'collector', to: ['gateway'] },
  'tickwatch.interest.renewed.v1': { from: 'gateway', to: ['collector'] },
  'tickwatch.averages.updated.v1': { from: 'alerter', to: ['gateway'] },
  'tickwatch.alert.triggered.v1': { from: 'alerter', to: ['notifier', 'gateway'] },
  'tickwatch.notification.requested.v1': { from: 'gateway', to: ['notifier'] },
  'tickwatch.notification.sent.v1': { from: 'notifier', to: ['gateway'] },
  'tickwatch.notification.failed.v1': { from: 'notifier', to: ['gateway'] },
};

/** `price.updated` → `priceUpdated`, `user.preferences-changed` → `userPreferencesChanged`. */
export function componentKey(type: EventType): string {
  return catalogue[type].name.replace(/[.-](\w)/g, (_, letter: string) => letter.toUpperCase());
}

const capitalise = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);

/** JSON Schema (draft-07, the base of AsyncAPI's schema format) of the full envelope of `type`. */
export function payloadSchema(type: EventType): Record<string, unknown> {
  const schema = Envelope.extend({ type: z.literal(type), data: catalogue[type].data });
  const json = z.toJSONSchema(schema, { target: 'draft-07', io: 'output' }) as Record<
    string,
    unknown
  >;
  delete json.$schema;
  return json;
}

const amqpHeaders = {
  type: 'object',
  properties: {
    [HEADERS.traceparent]: { type: 'string', description: 'W3C trace context (OpenTelemetry)' },
    [HEADERS.attempts]: { type: 'integer', description: 'Handler attempts so far (on retries)' },
    [HEADERS.lastError]: { type: 'string', description: 'Last handler error, truncated' },
    [HEADERS.routingKey]: {
      type: 'string',
      description: 'Original routing key, kept across the retry hop',
    },
    [HEADERS.deadReason]: { type: 'string', description: 'Why the message was dead-lettered' },
    [HEADERS.queue]: { type: 'string', description: 'Queue it was retried or dead-lettered from' },
    [HEADERS.replayedAt]: { type: 'string', description: 'Set by the DLQ tool on replay' },
  },
};

const exchangeBinding = {
  amqp: {
    is: 'routingKey',
    exchange: {
      name: EXCHANGES.events,
      type: 'topic',
      durable: true,
      autoDelete: false,
      vhost: '/',
    },
    bindingVersion: '0.3.0',
  },
};

function channelFor(type: EventType, key: string) {
  const { name, tickerOf, description } = catalogue[type];
  const perTicker = tickerOf !== null;
  return {
    address: perTicker ? `${name}.p{partition}.{ticker}` : name,
    title: name,
    description,
    ...(perTicker
      ? {
          parameters: {
            partition: {
              description: `Partition of the ticker: stable hash mod ${PARTITIONS} (partitionOf)`,
            },
            ticker: {
              description: 'The ticker as one routing word: "." replaced by "_" (BRK.B → BRK_B)',
            },
          },
        }
      : {}),
    messages: { [key]: { $ref: `#/components/messages/${key}` } },
    bindings: exchangeBinding,
  };
}

function messageFor(type: EventType) {
  const { name, description } = catalogue[type];
  return {
    name: type,
    title: name,
    summary: description,
    contentType: 'application/json',
    headers: amqpHeaders,
    payload: payloadSchema(type),
    correlationId: { location: '$message.payload#/id', description: 'The event id' },
    bindings: { amqp: { messageType: type, bindingVersion: '0.3.0' } },
    examples: [
      {
        name: `${componentKey(type)}Example`,
        payload: {
          specversion: '1.0',
          id: '00000000-0000-4000-8000-000000000000',
          source: `tickwatch/${eventFlow[type].from}`,
          type,
          time: '2026-10-02T20:00:02.000Z',
          datacontenttype: 'application/json',
          data: exampleData[type],
        },
      },
    ],
  };
}

function operationsFor(type: EventType, key: string) {
  const { from, to } = eventFlow[type];
  const channel = { $ref: `#/channels/${key}` };
  const messages = [{ $ref: `#/channels/${key}/messages/${key}` }];
  return {
    [`${from}Publishes${capitalise(key)}`]: {
      action: 'send',
      channel,
      messages,
      summary: `${from} publishes ${catalogue[type].name} (confirmed, persistent, mandatory)`,
      tags: [{ name: from }],
    },
    ...Object.fromEntries(
      to.map((service) => [
        `${service}Consumes${capitalise(key)}`,
        {
          action: 'receive',
          channel,
          messages,
          summary: `${service} consumes ${catalogue[type].name} (manual ack, retries, dead letters)`,
          tags: [{ name: service }],
        },
      ]),
    ),
  };
}

export function buildAsyncApiDocument(): Record<string, unknown> {
  const channels: Record<string, unknown> = {};
  const operations: Record<string, unknown> = {};
  const messages: Record<string, unknown> = {};
  for (const type of EVENT_TYPES) {
    const key = componentKey(type);
    channels[key] = channelFor(type, key);
    Object.assign(operations, operationsFor(type, key));
    messages[key] = messageFor(type);
  }
  return {
    asyncapi: '3.0.0',
    info: {
      title: 'tickwatch events',
      version: '1.0.0',
      description: [
        'Every message tickwatch services exchange: a CloudEvents 1.0 JSON envelope whose `data`',
        'matches the schema of its `type`, published to the topic exchange',
        `\`${EXCHANGES.events}\` with the routing key given by the channel address.`,
        'Generated from the zod schemas in contracts/src (npm run asyncapi -w contracts).',
        `Failed handlers retry through tiers ${RETRY_TIERS.map((t) => t.name).join(', ')}`,
        `then dead-letter via \`${EXCHANGES.deadLetter}\` to \`<queue>.dlq\`.`,
      ].join(' '),
    },
    defaultContentType: 'application/json',
    servers: {
      local: {
        host: '127.0.0.1:5672',
        protocol: 'amqp',
        protocolVersion: '0-9-1',
        description: 'RabbitMQ of the embedded default (npm start)',
      },
    },
    channels,
    operations,
    components: { messages },
  };
}
