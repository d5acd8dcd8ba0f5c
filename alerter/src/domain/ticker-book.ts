/**
 * Everything the alerter knows about one ticker: its last quote, moving averages, the rules on
 * it indexed by signal, and their trigger states. `applyTick` takes a quote and returns what
 * it decided (firings, averages); it does no I/O. Rule changes update the index in place.
 *
 * Per signal, a sorted index of the rules' levels finds the rules whose thresholds the quote
 * crossed, and a due queue holds the level rules (WHILE_TRUE, ONCE_PER_DAY, a ONCE that held
 * when it started) that hold now and wait for their next eligible moment. A quote looks at
 * those and nothing else: the cost of a quote does not grow with rules that do not fire.
 * Expired rules leave the index on the first quote after their expiry (an expiry queue).
 */
import type { Rule } from '@tickwatch/contracts';
import { levelsOf, sideAt, type Levels, type Side } from './conditions.ts';
import { DueQueue } from './due-queue.ts';
import { MovingWindows, type MovingWindowsSnapshot, type WindowAverage } from './moving-windows.ts';
import { computeSignals, emptySignalValues, SIGNALS, type SignalIndex } from './signals.ts';
import { SortedLevels } from './sorted-levels.ts';
import {
  freshState,
  isLevelFrequency,
  nextEligibleAt,
  step,
  type TickMoment,
  type TriggerState,
} from './trigger.ts';

export interface Tick {
  readonly price: number;
  /** Market time, ms. */
  readonly marketTime: number;
  readonly previousClose: number | null;
  readonly timeZone: string;
}

export interface Firing {
  readonly rule: Rule;
  /** The state after firing: its `sequence` is this alert's. */
  readonly state: TriggerState;
  readonly side: Side;
  /** Previous close, window average or previous average, as the condition compares to. */
  readonly reference: number | null;
}

export interface TickOutcome {
  /** False when the quote is not newer than the last one (a duplicate or out of order). */
  readonly applied: boolean;
  readonly previousPrice: number | null;
  readonly averages: readonly WindowAverage[];
  readonly firings: readonly Firing[];
  /** Rules the quote looked at (crossed or due), for the evaluation span. */
  readonly examined: number;
}

/** What a ticker keeps between quotes besides its rules; persisted with the trigger states. */
export interface TickerSnapshot {
  readonly lastPrice: number | null;
  readonly lastMarketTime: number | null;
  readonly previousClose: number | null;
  readonly timeZone: string | null;
  /** Each signal's last value (index as SIGNALS), null where it never had one. */
  readonly signals: readonly (number | null)[];
  readonly windows: MovingWindowsSnapshot | null;
}

interface IndexedRule {
  readonly rule: Rule;
  readonly levels: Levels;
  readonly slot: number;
  /** Identifies this stay in the index (expiry queue entries carry it). */
  readonly indexToken: number;
  state: TriggerState;
  /** Token of its due queue entry; 0 when it waits in none. */
  dueToken: number;
}

interface SignalBook {
  readonly levels: SortedLevels;
  readonly due: DueQueue;
  /** Rules with a live due entry (the queue also holds stale ones). */
  scheduled: number;
}

const NOT_APPLIED = {
  applied: false,
  previousPrice: null,
  averages: [],
  firings: [],
  examined: 0,
} as const satisfies TickOutcome;

export class TickerBook {
  readonly ticker: string;
  #lastPrice: number | null;
  #lastMarketTime: number | null;
  #previousClose: number | null;
  #timeZone: string | null;
  readonly #lastValues = new Float64Array(SIGNALS.length).fill(Number.NaN);
  #windows: MovingWindows;

  readonly #rules: (IndexedRule | undefined)[] = [];
  readonly #freeSlots: number[] = [];
  readonly #slotOf = new Map<string, number>();
  readonly #signals: (SignalBook | undefined)[] = [];
  readonly #expiries = new DueQueue();
  #nextToken = 1;

  /** Trigger states changed since `takeStateWrites` (null: remove the stored state). */
  #stateWrites = new Map<string, TriggerState | null>();
  #changed = false;

  // Per-quote scratch space, reused.
  readonly #scratch = emptySignalValues();
  readonly #visited: number[] = [];
  readonly #affected: number[] = [];
  #tickNumber = 0;

  constructor(ticker: string, snapshot?: TickerSnapshot) {
    this.ticker = ticker;
    this.#lastPrice = snapshot?.lastPrice ?? null;
    this.#lastMarketTime = snapshot?.lastMarketTime ?? null;
    this.#previousClose = snapshot?.previousClose ?? null;
    this.#timeZone = snapshot?.timeZone ?? null;
    snapshot?.signals.forEach((value, i) => {
      this.#lastValues[i] = value ?? Number.NaN;
    });
    this.#windows = new MovingWindows(snapshot?.windows ?? undefined);
  }

  get rulesIndexed(): number {
    return this.#slotOf.size;
  }

  get lastMarketTime(): number | null {
    return this.#lastMarketTime;
  }

  /** Something to persist: a quote applied or a rule changed since `markPersisted`. */
  get changed(): boolean {
    return this.#changed;
  }

  snapshot(): TickerSnapshot {
    return {
      lastPrice: this.#lastPrice,
      lastMarketTime: this.#lastMarketTime,
      previousClose: this.#previousClose,
      timeZone: this.#timeZone,
      signals: Array.from(this.#lastValues, (v) => (Number.isNaN(v) ? null : v)),
      windows: this.#windows.snapshot(),
    };
  }

  /** The trigger states to write, and forgets them: the caller persists them now. */
  takeStateWrites(): Map<string, TriggerState | null> {
    const writes = this.#stateWrites;
    this.#stateWrites = new Map();
    this.#changed = false;
    return writes;
  }

  /**
   * Starts watching a rule version. `stored` is its persisted trigger state, if any (written
   * ahead of its rule copy, partition-book.ts); without it the version starts afresh. The state
   * is written either way: a removal of the previous version pending in this batch must not
   * erase it. Paused, expired and retired rules are not indexed.
   */
  addRule(rule: Rule, stored: TriggerState | undefined, now: number): void {
    this.#changed = true;
    const levels = levelsOf(rule);
    const state = stored ?? freshState(rule, levels, this.#lastValues[levels.signal] ?? Number.NaN);
    this.#stateWrites.set(rule.id, state);
    if (!this.#isActive(rule, state, now)) return;
    const indexed = this.#place(rule, levels, state);
    const book = this.#signalBook(levels.signal);
    for (const level of levelValues(levels)) book.levels.insert(level, indexed.slot);
    this.#scheduleIfHolding(indexed, book, Number.NEGATIVE_INFINITY);
  }

  /**
   * Loads many rules at once (start-up, takeover): one sort per signal instead of a splice per
   * level. Same effect as `addRule` for each.
   */
  addRules(rules: readonly { rule: Rule; stored: TriggerState | undefined }[], now: number): void {
    const entries = new Map<SignalIndex, [number, number][]>();
    const placed: IndexedRule[] = [];
    for (const { rule, stored } of rules) {
      const levels = levelsOf(rule);
      const state =
        stored ?? freshState(rule, levels, this.#lastValues[levels.signal] ?? Number.NaN);
      if (!stored) {
        this.#stateWrites.set(rule.id, state);
        this.#changed = true;
      }
      if (!this.#isActive(rule, state, now)) continue;
      const indexed = this.#place(rule, levels, state);
      placed.push(indexed);
      const list = entries.get(levels.signal) ?? [];
      for (const level of levelValues(levels)) list.push([level, indexed.slot]);
      entries.set(levels.signal, list);
    }
    for (const [signal, list] of entries) {
      const existing = this.#signals[signal];
      if (existing) for (const [level, slot] of list) existing.levels.insert(level, slot);
      else
        this.#signals[signal] = {
          levels: SortedLevels.from(list),
          due: new DueQueue(),
          scheduled: 0,
        };
    }
    for (const indexed of placed) {
      this.#scheduleIfHolding(indexed, this.#signalBook(indexed.levels.signal), -Infinity);
    }
  }

  /** Stops watching a rule and drops its stored state (deleted, or replaced by a new version). */
  removeRule(ruleId: string): void {
    this.#changed = true;
    this.#stateWrites.set(ruleId, null);
    const slot = this.#slotOf.get(ruleId);
    const indexed = slot === undefined ? undefined : this.#rules[slot];
    if (indexed) this.#unindex(indexed);
  }

  applyTick(tick: Tick, now: number): TickOutcome {
    if (this.#lastMarketTime !== null && tick.marketTime <= this.#lastMarketTime) {
      return NOT_APPLIED;
    }
    this.#changed = true;
    this.#tickNumber += 1;
    this.#timeZone = tick.timeZone;
    const previousPrice = this.#lastPrice;
    const averages = this.#windows.add(tick.marketTime, tick.price);
    const { values, references } = computeSignals(
      this.#scratch,
      tick.price,
      tick.previousClose,
      averages,
    );
    this.#expire(Math.max(tick.marketTime, now));

    const moment: TickMoment = { time: tick.marketTime, timeZone: tick.timeZone };
    const firings: Firing[] = [];
    let examined = 0;
    for (let signal = 0; signal < SIGNALS.length; signal++) {
      const value = values[signal] ?? Number.NaN;
      if (Number.isNaN(value)) continue;
      const previous = this.#lastValues[signal] ?? Number.NaN;
      this.#lastValues[signal] = value;
      const book = this.#signals[signal];
      if (!book) continue;
      const reference = references[signal] ?? Number.NaN;
      const look = (indexed: IndexedRule): void => {
        examined += 1;
        const fired = this.#evaluate(indexed, book, previous, value, moment);
        if (fired) firings.push(firingOf(indexed, fired, reference));
      };
      const crossed = this.#crossed(book, previous, value);
      for (const slot of crossed) {
        const indexed = this.#rules[slot];
        if (indexed) look(indexed);
      }
      for (
        let due = book.due.popDue(tick.marketTime);
        due;
        due = book.due.popDue(tick.marketTime)
      ) {
        const indexed = this.#rules[due.slot];
        if (!indexed || indexed.dueToken !== due.token) continue;
        indexed.dueToken = 0;
        book.scheduled -= 1;
        look(indexed);
      }
      if (book.due.size > 2 * book.scheduled + 32) {
        book.due.compact((entry) => this.#rules[entry.slot]?.dueToken === entry.token);
      }
    }
    this.#lastPrice = tick.price;
    this.#lastMarketTime = tick.marketTime;
    this.#previousClose = tick.previousClose;
    return { applied: true, previousPrice, averages, firings, examined };
  }

  /** Slots of the rules with a level between the two values, each once (reused array). */
  #crossed(book: SignalBook, previous: number, value: number): readonly number[] {
    this.#affected.length = 0;
    // No previous value: every rule is looked at once, as if everything had just been crossed.
    if (Number.isNaN(previous)) book.levels.forEach(this.#visit);
    else book.levels.between(previous, value, this.#visit);
    return this.#affected;
  }

  readonly #visit = (slot: number): void => {
    if (this.#visited[slot] === this.#tickNumber) return;
    this.#visited[slot] = this.#tickNumber;
    this.#affected.push(slot);
  };

  /** Steps one rule; keeps the due queue and the index in line with its new state. */
  #evaluate(
    indexed: IndexedRule,
    book: SignalBook,
    previous: number,
    value: number,
    moment: TickMoment,
  ): Side | null {
    const { state, fired } = step(
      indexed.rule,
      indexed.levels,
      indexed.state,
      previous,
      value,
      moment,
    );
    if (state !== indexed.state) {
      indexed.state = state;
      this.#stateWrites.set(indexed.rule.id, state);
    }
    if (state.retired) {
      this.#unindex(indexed);
    } else if (isLevelFrequency(indexed.rule.frequency)) {
      if (sideAt(indexed.levels, value) === null) this.#unschedule(indexed, book);
      else if (fired || indexed.dueToken === 0) {
        this.#unschedule(indexed, book);
        this.#schedule(indexed, book, moment.time + 1);
      }
    }
    return fired;
  }

  #isActive(rule: Rule, state: TriggerState, now: number): boolean {
    if (rule.paused || state.retired) return false;
    const expiresAt = expiryOf(rule);
    return expiresAt > Math.max(now, this.#lastMarketTime ?? Number.NEGATIVE_INFINITY);
  }

  #place(rule: Rule, levels: Levels, state: TriggerState): IndexedRule {
    const slot = this.#freeSlots.pop() ?? this.#rules.length;
    const indexed: IndexedRule = {
      rule,
      levels,
      slot,
      indexToken: this.#nextToken++,
      state,
      dueToken: 0,
    };
    this.#rules[slot] = indexed;
    this.#slotOf.set(rule.id, slot);
    const expiresAt = expiryOf(rule);
    if (expiresAt !== Number.POSITIVE_INFINITY) {
      this.#expiries.push({ at: expiresAt, slot, token: indexed.indexToken });
    }
    return indexed;
  }

  #unindex(indexed: IndexedRule): void {
    const book = this.#signals[indexed.levels.signal];
    if (book) {
      for (const level of levelValues(indexed.levels)) book.levels.remove(level, indexed.slot);
      this.#unschedule(indexed, book);
    }
    this.#rules[indexed.slot] = undefined;
    this.#freeSlots.push(indexed.slot);
    this.#slotOf.delete(indexed.rule.id);
  }

  #expire(horizon: number): void {
    for (let due = this.#expiries.popDue(horizon); due; due = this.#expiries.popDue(horizon)) {
      const indexed = this.#rules[due.slot];
      if (indexed?.indexToken === due.token) this.#unindex(indexed);
    }
  }

  /** A level rule that holds now waits for its next eligible moment (not before `notBefore`). */
  #scheduleIfHolding(indexed: IndexedRule, book: SignalBook, notBefore: number): void {
    if (!isLevelFrequency(indexed.rule.frequency)) return;
    const value = this.#lastValues[indexed.levels.signal] ?? Number.NaN;
    if (sideAt(indexed.levels, value) !== null) this.#schedule(indexed, book, notBefore);
  }

  #schedule(indexed: IndexedRule, book: SignalBook, notBefore: number): void {
    const at = Math.max(
      nextEligibleAt(indexed.rule, indexed.state, this.#timeZone ?? 'UTC'),
      notBefore,
    );
    if (at === Number.POSITIVE_INFINITY) return;
    indexed.dueToken = this.#nextToken++;
    book.scheduled += 1;
    book.due.push({ at, slot: indexed.slot, token: indexed.dueToken });
  }

  #unschedule(indexed: IndexedRule, book: SignalBook): void {
    if (indexed.dueToken === 0) return;
    indexed.dueToken = 0;
    book.scheduled -= 1;
  }

  #signalBook(signal: SignalIndex): SignalBook {
    let book = this.#signals[signal];
    if (!book) {
      book = { levels: new SortedLevels(), due: new DueQueue(), scheduled: 0 };
      this.#signals[signal] = book;
    }
    return book;
  }
}

function firingOf(indexed: IndexedRule, side: Side, reference: number): Firing {
  return {
    rule: indexed.rule,
    state: indexed.state,
    side,
    reference: Number.isNaN(reference) ? null : reference,
  };
}

function expiryOf(rule: Rule): number {
  return rule.expiresAt === null ? Number.POSITIVE_INFINITY : Date.parse(rule.expiresAt);
}

/** The levels a rule has entries for in its signal's index. */
function levelValues(levels: Levels): number[] {
  return [levels.upper, levels.lower, levels.upperRearm, levels.lowerRearm].filter(
    (level) => !Number.isNaN(level),
  );
}
