/**
 * One partition's rules and tickers, in memory, as the partition queue delivers them: rule
 * events and quotes in the order they were published for these tickers. Rule events apply
 * only when their version is newer than the one known (a redelivery or a late copy changes
 * nothing); a deleted rule is kept as a tombstone so an older copy of it cannot bring it back,
 * and it leaves the index at once, so a quote queued behind the deletion finds nothing to fire.
 *
 * A batch's ticker documents are written before its rule copies (partition-store.ts), so a
 * crash between the two leaves trigger states of a rule version the rule copies do not have
 * yet. On restore such a rule is not indexed (the rule event that replaced it comes again
 * before any newer quote), its state is kept aside, and the redelivered rule event takes it
 * up: the version goes on from its persisted state (sequence, armed sides, cooldown) instead
 * of starting afresh and deriving again the ids of alerts already sent.
 */
import type { Rule } from '@tickwatch/contracts';
import { TickerBook, type Tick, type TickOutcome, type TickerSnapshot } from './ticker-book.ts';
import type { TriggerState } from './trigger.ts';

export type RuleChange = 'created' | 'updated' | 'deleted';

/** The partition's copy of a rule, as persisted. */
export interface RuleCopy {
  readonly rule: Rule;
  readonly deleted: boolean;
}

export interface StoredTicker {
  readonly ticker: string;
  readonly snapshot: TickerSnapshot;
  /** Persisted trigger states by rule id (only the current version's are used). */
  readonly triggers: ReadonlyMap<string, TriggerState>;
}

export class PartitionBook {
  readonly partition: number;
  readonly #tickers = new Map<string, TickerBook>();
  readonly #rules = new Map<string, RuleCopy>();
  /** Persisted trigger states of rule versions newer than the copy known (see above). */
  readonly #statesAhead = new Map<string, TriggerState>();
  /** Rule copies changed since `takeRuleWrites`. */
  #ruleWrites = new Map<string, RuleCopy>();
  /** Tickers touched since `takeChangedTickers`. */
  #touched = new Set<TickerBook>();

  constructor(partition: number) {
    this.partition = partition;
  }

  /** Rebuilds the partition from what was persisted (start-up or takeover). */
  static restore(
    partition: number,
    rules: readonly RuleCopy[],
    tickers: readonly StoredTicker[],
    now: number,
  ): PartitionBook {
    const book = new PartitionBook(partition);
    const stored = new Map<string, ReadonlyMap<string, TriggerState>>();
    for (const ticker of tickers) {
      book.#tickers.set(ticker.ticker, new TickerBook(ticker.ticker, ticker.snapshot));
      stored.set(ticker.ticker, ticker.triggers);
    }
    const live = new Map<string, { rule: Rule; stored: TriggerState | undefined }[]>();
    for (const copy of rules) {
      book.#rules.set(copy.rule.id, copy);
      if (copy.deleted) continue;
      const state = stored.get(copy.rule.ticker)?.get(copy.rule.id);
      // Superseded by a version whose rule event is on its way again: not indexed till then.
      if (state && state.version > copy.rule.version) continue;
      const list = live.get(copy.rule.ticker) ?? [];
      list.push({
        rule: copy.rule,
        stored: state?.version === copy.rule.version ? state : undefined,
      });
      live.set(copy.rule.ticker, list);
    }
    for (const states of stored.values()) {
      for (const [ruleId, state] of states) {
        const copy = book.#rules.get(ruleId);
        if (!copy || state.version > copy.rule.version) book.#statesAhead.set(ruleId, state);
      }
    }
    for (const [ticker, list] of live) book.tickerBook(ticker).addRules(list, now);
    return book;
  }

  get rulesIndexed(): number {
    let count = 0;
    for (const ticker of this.#tickers.values()) count += ticker.rulesIndexed;
    return count;
  }

  /** Applies a rule event; false when it is not newer than the copy already known. */
  applyRule(change: RuleChange, rule: Rule, now: number): boolean {
    const known = this.#rules.get(rule.id);
    if (known && known.rule.version >= rule.version) return false;
    if (known && !known.deleted) this.tickerBook(known.rule.ticker).removeRule(rule.id);
    const copy: RuleCopy = { rule, deleted: change === 'deleted' };
    this.#rules.set(rule.id, copy);
    this.#ruleWrites.set(rule.id, copy);
    const ahead = this.#statesAhead.get(rule.id);
    this.#statesAhead.delete(rule.id);
    if (copy.deleted) this.tickerBook(rule.ticker).removeRule(rule.id);
    else {
      const stored = ahead?.version === rule.version ? ahead : undefined;
      this.tickerBook(rule.ticker).addRule(rule, stored, now);
    }
    return true;
  }

  applyTick(ticker: string, tick: Tick, now: number): TickOutcome {
    return this.tickerBook(ticker).applyTick(tick, now);
  }

  /** Tickers with something to persist, forgotten here: the caller writes them now. */
  takeChangedTickers(): TickerBook[] {
    const changed = [...this.#touched].filter((ticker) => ticker.changed);
    this.#touched = new Set();
    return changed;
  }

  /** Rule copies to persist, forgotten here: the caller writes them now. */
  takeRuleWrites(): RuleCopy[] {
    const writes = [...this.#ruleWrites.values()];
    this.#ruleWrites = new Map();
    return writes;
  }

  tickerBook(ticker: string): TickerBook {
    let book = this.#tickers.get(ticker);
    if (!book) {
      book = new TickerBook(ticker);
      this.#tickers.set(ticker, book);
    }
    this.#touched.add(book);
    return book;
  }
}
