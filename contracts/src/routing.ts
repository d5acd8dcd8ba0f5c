/**
 * Routing keys (DESIGN.md §4): `<event>.p<N>.<ticker-word>` for per-ticker events, so a
 * partition queue binds `price.updated.p3.*` and a ticker filter `price.updated.*.RDS_A`;
 * `<event>` for the others.
 */
import { catalogue, type EventType } from './catalogue.ts';
import type { TickwatchEvent } from './envelope.ts';
import { checkPartition, partitionOf } from './partition.ts';
import { routingWordToTicker, tickerToRoutingWord } from './ticker.ts';

export function tickerOfEvent(event: TickwatchEvent): string | null {
  const tickerOf = catalogue[event.type].tickerOf as ((data: unknown) => string) | null;
  return tickerOf ? tickerOf(event.data) : null;
}

export function routingKey(event: TickwatchEvent): string {
  const name = catalogue[event.type].name;
  const ticker = tickerOfEvent(event);
  if (ticker === null) return name;
  return `${name}.p${partitionOf(ticker)}.${tickerToRoutingWord(ticker)}`;
}

export interface ParsedRoutingKey {
  readonly name: string;
  readonly partition: number | null;
  readonly ticker: string | null;
}

/** The inverse of `routingKey`: `rule.created.p3.BRK_B` → {rule.created, 3, BRK.B}. */
export function parseRoutingKey(key: string): ParsedRoutingKey {
  const match = /^(.+)\.p(\d+)\.([^.]+)$/.exec(key);
  if (!match) return { name: key, partition: null, ticker: null };
  const [, name = '', partition = '', word = ''] = match;
  return { name, partition: Number(partition), ticker: routingWordToTicker(word) };
}

/** Whether events of this type carry a ticker (and so a partition) in their routing key. */
export function isPerTickerEvent(type: EventType): boolean {
  return catalogue[type].tickerOf !== null;
}

/**
 * Binding pattern for an event name (or a `rule.*` style name pattern): one partition's
 * tickers when a partition is given, every ticker otherwise; exactly the name for events
 * without a ticker.
 */
export function bindingPattern(namePattern: string, partition?: number): string {
  const perTicker = Object.values(catalogue).some(
    (definition) => definition.tickerOf !== null && matchesName(namePattern, definition.name),
  );
  if (!perTicker) {
    if (partition !== undefined) throw new RangeError(`${namePattern} events have no partition`);
    return namePattern;
  }
  if (partition === undefined) return `${namePattern}.*.*`;
  checkPartition(partition);
  return `${namePattern}.p${partition}.*`;
}

/** Topic matching of an event name against a pattern of words and `*` (no `#` in names). */
function matchesName(pattern: string, name: string): boolean {
  const patternWords = pattern.split('.');
  const nameWords = name.split('.');
  return (
    patternWords.length === nameWords.length &&
    patternWords.every((word, i) => word === '*' || word === nameWords[i])
  );
}
