/**
 * The alerter's database (`tickwatch_alerter`), three collections:
 *
 * - `rules`: the partition's copy of every rule it was told about (tombstones for deleted ones,
 *   so an older copy arriving late cannot bring a rule back).
 * - `tickers`: one small document per ticker, the outbox aggregate (DESIGN.md §5): the last
 *   quote, signal values and moving-average windows (samples packed: stored-windows.ts), the
 *   alerts not yet published (`pendingEvents`), and `stateLog`: the trigger states its last
 *   write changed. A batch's effects on a ticker are one write of this document, so it is the
 *   commit record of the ticker's alerts and trigger states alike. `rev` counts its writes:
 *   every write names the `rev` it read, so a replica working from stale memory (another one
 *   wrote meanwhile) writes nothing and reloads.
 * - `triggers`: one small document per rule, its trigger state, written after the ticker
 *   document whose `stateLog` carries it and stamped with that document's `rev`. Only states
 *   that changed are written; a quote that changes none writes no trigger document. A state
 *   whose stamp is behind its ticker's `stateLog` (killed between the two writes) is taken
 *   from the log when the partition is loaded (partition-store.ts).
 */
// mongoose types schema options as a class (SchemaTypeOptions); object literals are its
// documented usage, which this rule cannot tell apart.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import type { Rule } from '@tickwatch/contracts';
import { outboxPlugin, type OutboxFields } from '@tickwatch/infra/messaging/outbox';
import { Schema, type Connection, type Model } from 'mongoose';
import type { TriggerState } from '../domain/trigger.ts';
import type { StoredWindows } from './stored-windows.ts';

export interface RuleDocument {
  _id: string;
  partition: number;
  ticker: string;
  version: number;
  deleted: boolean;
  rule: Rule;
}

export interface TickerDocument extends OutboxFields {
  _id: string;
  partition: number;
  rev: number;
  lastPrice: number | null;
  /** Market time of the last quote applied, ms. */
  lastMarketTime: number | null;
  previousClose: number | null;
  timeZone: string | null;
  signals: (number | null)[];
  /** The moving windows, their samples packed (stored-windows.ts). */
  windows: StoredWindows | null;
  /** Trigger states this document's last write changed, by rule id (null: removed). */
  stateLog: Record<string, TriggerState | null>;
}

export interface TriggerDocument {
  /** The rule id. */
  _id: string;
  partition: number;
  ticker: string;
  /** `rev` of the ticker document whose `stateLog` carried this state. */
  rev: number;
  /** Null once the rule was deleted. */
  state: TriggerState | null;
}

const ruleSchema = new Schema<RuleDocument>(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true, index: true },
    ticker: { type: String, required: true },
    version: { type: Number, required: true },
    deleted: { type: Boolean, required: true },
    rule: { type: Schema.Types.Mixed, required: true },
  },
  { collection: 'rules', versionKey: false, minimize: false },
);

const tickerSchema = new Schema<TickerDocument>(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true, index: true },
    rev: { type: Number, required: true },
    lastPrice: { type: Number, default: null },
    lastMarketTime: { type: Number, default: null },
    previousClose: { type: Number, default: null },
    timeZone: { type: String, default: null },
    signals: { type: [Schema.Types.Mixed], default: [] },
    windows: { type: Schema.Types.Mixed, default: null },
    stateLog: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'tickers', versionKey: false, minimize: false },
);
tickerSchema.plugin(outboxPlugin);

const triggerSchema = new Schema<TriggerDocument>(
  {
    _id: { type: String, required: true },
    partition: { type: Number, required: true, index: true },
    ticker: { type: String, required: true },
    rev: { type: Number, required: true },
    state: { type: Schema.Types.Mixed, default: null },
  },
  { collection: 'triggers', versionKey: false, minimize: false },
);

export interface AlerterModels {
  readonly rules: Model<RuleDocument>;
  readonly tickers: Model<TickerDocument>;
  readonly triggers: Model<TriggerDocument>;
}

export function alerterModels(connection: Connection): AlerterModels {
  return {
    rules: connection.models.AlerterRule ?? connection.model('AlerterRule', ruleSchema),
    tickers: connection.models.AlerterTicker ?? connection.model('AlerterTicker', tickerSchema),
    triggers: connection.models.AlerterTrigger ?? connection.model('AlerterTrigger', triggerSchema),
  } as AlerterModels;
}

/** Builds every collection's indexes (start-up). */
export async function initAlerterModels(models: AlerterModels): Promise<void> {
  await Promise.all([models.rules.init(), models.tickers.init(), models.triggers.init()]);
}
