/**
 * Runs collector cycles one after the other (never two at once), POLL_INTERVAL apart while any
 * watched exchange trades, POLL_INTERVAL_CLOSED apart while every one is closed by its calendar
 * (time zone, weekend, holiday) — but always waking in time for the next opening. A ticker
 * whose exchange is not known yet (never quoted) counts as open. A failed cycle is logged and
 * the next one runs on schedule. After a cycle, once STATE_CHECKPOINT_INTERVAL passed, and when
 * it stops, it checkpoints the quote states (ticker-states.ts).
 */
import type { Logger } from '@tickwatch/infra/log';
import type { Component } from '@tickwatch/infra/service';
import type { CollectorCycle } from './collector-cycle.ts';
import { calendarOf, nextOpening } from './market/calendar.ts';
import type { TickerStates } from './publishing/ticker-states.ts';

export interface PollerSettings {
  readonly pollIntervalMs: number;
  readonly pollIntervalClosedMs: number;
  /** False when the source ignores exchange hours (replay, a simulation trading around the clock). */
  readonly followsCalendars: boolean;
  /** The quote states are checkpointed after a cycle once this long passed since the last one. */
  readonly checkpointIntervalMs: number;
}

export interface Poller extends Component {
  /** Resolves after the next cycle completes (for tests and tools). */
  nextCycle(): Promise<void>;
}

/** The wait before the next cycle, given the tickers just collected and their exchanges. */
export function nextPollDelay(
  tickers: readonly string[],
  exchangeOf: (ticker: string) => string | undefined,
  now: number,
  settings: Omit<PollerSettings, 'checkpointIntervalMs'>,
): number {
  if (!settings.followsCalendars || tickers.length === 0) return settings.pollIntervalMs;
  const calendars = new Set(tickers.map((ticker) => calendarOf(exchangeOf(ticker) ?? '')));
  if (calendars.has(undefined)) return settings.pollIntervalMs;
  let delay = settings.pollIntervalClosedMs;
  for (const calendar of calendars) {
    if (!calendar) continue;
    if (calendar.stateAt(now) !== 'CLOSED') return settings.pollIntervalMs;
    const opening = nextOpening(calendar, now, settings.pollIntervalClosedMs);
    if (opening !== undefined) delay = Math.min(delay, opening - now);
  }
  return Math.max(settings.pollIntervalMs, delay);
}

export function startPoller(
  cycle: CollectorCycle,
  states: TickerStates,
  settings: PollerSettings,
  logger: Logger,
): Poller {
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;
  let waiters: (() => void)[] = [];
  let lastCheckpoint = Date.now();

  const checkpoint = async (): Promise<void> => {
    lastCheckpoint = Date.now();
    try {
      const written = await states.checkpoint();
      logger.debug({ tickers: written }, 'quote states checkpointed');
    } catch (error) {
      logger.warn({ err: error }, 'quote states not checkpointed; retried after the next cycle');
    }
  };

  const runOnce = async (): Promise<void> => {
    const started = Date.now();
    let delay = settings.pollIntervalMs;
    try {
      const report = await cycle.run();
      delay = nextPollDelay(
        report.tickers,
        (ticker) => states.get(ticker)?.exchange,
        Date.now(),
        settings,
      );
      logger.debug({ ...report, tickers: report.tickers.length, nextInMs: delay }, 'cycle done');
    } catch (error) {
      logger.error({ err: error }, 'collector cycle failed; the next one runs on schedule');
    }
    if (Date.now() - lastCheckpoint >= settings.checkpointIntervalMs) await checkpoint();
    const done = waiters;
    waiters = [];
    for (const resolve of done) resolve();
    if (stopped) return;
    timer = setTimeout(
      () => {
        running = runOnce();
      },
      Math.max(0, started + delay - Date.now()),
    );
  };

  running = runOnce();
  return {
    name: 'poller',
    nextCycle: () => new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
      await checkpoint();
    },
  };
}
