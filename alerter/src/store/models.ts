/**
 * The alerter's database (`tickwatch_alerter`), two collections:
 *
 * - `rules`: the partition's copy of every rule it was told about (tombstones for deleted ones,
 *   so an older copy arriving late cannot bring a rule back).
 * - `tickers`: one document per ticker, the outbox aggregate (DESIGN.md §5): the last quote,
 *   signal values and moving-average windows, the trigger state of each rule on the ticker,
 *   and the alerts not yet published (`pendingEvents`). A quote's effects are one write of
 *   this document. `rev` counts its writes: every write names the `rev` it read, so a replica
 *   working from stale memory (another one wrote meanwhile) writes nothing and reloads.
 */
// mongoose types schema options as a class (SchemaTypeOptions); object literals are its
// documented usage, which this rule cannot tell apart.
/* eslint-disable @typescript-eslint/no-unsafe-class-instance-assignment */
import type { Rule } from '@tickwatch/contracts';
import { outboxPlugin, type OutboxFields } from '@tickwatch/infra/messaging/outbox';
import { Schema, type Connection, type Model } from 'mongoose';
import type { MovingWindowsSnapshot } from '../domain/moving-windows.ts';
import type { TriggerState } from '../domain/trigger.ts';

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
  windows: MovingWindowsSnapshot | null;
  /** Trigger state per rule id. */
  triggers: Record<string, TriggerState>;
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
    triggers: { type: Schema.Types.Mixed, default: {} },
  },
  { collection: 'tickers', versionKey: false, minimize: false },
);
tickerSchema.plugin(outboxPlugin);

export interface AlerterModels {
  readonly rules: Model<RuleDocument>;
  readonly tickers: Model<TickerDocument>;
}

export function alerterModels(connection: Connection): AlerterModels {
  return {
    rules: connection.models.AlerterRule ?? connection.model('AlerterRule', ruleSchema),
    tickers: connection.models.AlerterTicker ?? connection.model('AlerterTicker', tickerSchema),
  } as AlerterModels;
}
