/** The collector's configuration: every variable, its default and purpose (see README "Collector"). */
import { existsSync } from 'node:fs';
import { env, setting } from '@tickwatch/infra/config';
import {
  logLevelSetting,
  mongoUrlSetting,
  opsHostSetting,
  opsPortSetting,
  rabbitmqReconnectMaxSetting,
  rabbitmqUrlSetting,
} from '@tickwatch/infra/service-settings';
import { isTicker, normalizeTicker } from '@tickwatch/contracts';
import type { ConfigOf } from '@tickwatch/infra/config';
import type { BreakerSettings } from './breaker.ts';
import type { CycleSettings } from './collector-cycle.ts';

export const MARKET_SOURCES = ['yahoo', 'simulated', 'replay'] as const;
export type MarketSourceName = (typeof MARKET_SOURCES)[number];

/** The bundled recording the replay source plays unless REPLAY_PATH names another file. */
export const SAMPLE_RECORDING = 'sample';

/** Yahoo answers at most this many symbols per quote request. */
export const MAX_BATCH_SIZE = 50;

/** Comma-separated tickers; `none` for an empty list (an empty variable means the default). */
const tickerList = () =>
  env
    .list()
    .transform((items) => (items.join() === 'none' ? [] : items))
    .transform((items) => items.map((item) => normalizeTicker(item) ?? item))
    .refine((items) => items.every(isTicker), {
      message: 'expected comma-separated tickers such as AAPL,VOD.L,BTC-USD',
    });

const recordingPath = () =>
  env.string().refine((path) => path === SAMPLE_RECORDING || existsSync(path), {
    message: `no such file (a JSONL recording, or "${SAMPLE_RECORDING}" for the bundled one)`,
  });

export const settings = {
  LOG_LEVEL: logLevelSetting,
  OPS_HOST: opsHostSetting,
  COLLECTOR_OPS_PORT: opsPortSetting('collector', 9101),
  RABBITMQ_URL: rabbitmqUrlSetting,
  RABBITMQ_RECONNECT_MAX: rabbitmqReconnectMaxSetting,
  MONGO_URL: mongoUrlSetting,

  MARKET_SOURCE: setting(
    env.oneOf(MARKET_SOURCES),
    'Where quotes come from: yahoo (Yahoo Finance), simulated (a seeded random-walk market), replay (a recorded JSONL file)',
    { default: 'simulated' },
  ),
  DEFAULT_TICKERS: setting(
    tickerList(),
    'Tickers always collected, whether or not a rule or watch names them (comma-separated; none for no default)',
    { default: 'AAPL,MSFT,NVDA,VOD.L,BTC-USD,EURUSD=X' },
  ),
  POLL_INTERVAL: setting(
    env.duration(100, 3_600_000),
    'Time between two polling cycles while any watched exchange is open',
    { default: '15s' },
  ),
  POLL_INTERVAL_CLOSED: setting(
    env.duration(100, 6 * 3_600_000),
    'Time between two polling cycles while every watched exchange is closed (calendar and holidays)',
    { default: '5m' },
  ),
  STATE_CHECKPOINT_INTERVAL: setting(
    env.duration(0, 3_600_000),
    'How often the last published quote per ticker is written to MongoDB (and at shutdown); after a crash the quotes since are republished with the same event ids',
    { default: '1m' },
  ),
  QUOTE_BATCH_SIZE: setting(
    env.int(1, MAX_BATCH_SIZE),
    `Tickers per quote request (Yahoo takes at most ${MAX_BATCH_SIZE})`,
    { default: String(MAX_BATCH_SIZE) },
  ),

  YAHOO_MAX_REQUESTS_PER_MINUTE: setting(
    env.int(1, 6_000),
    'Token bucket for requests to Yahoo: sustained rate per minute (bursts up to a tenth of it)',
    { default: '60' },
  ),
  YAHOO_BACKOFF_INITIAL: setting(
    env.duration(10, 600_000),
    'First wait after a 429 or 5xx from Yahoo; doubles on each failure in a row, with jitter, at least Retry-After',
    { default: '1s' },
  ),
  YAHOO_BACKOFF_MAX: setting(
    env.duration(10, 3_600_000),
    'Longest wait between requests after repeated 429/5xx (a longer Retry-After still wins)',
    { default: '5m' },
  ),
  UNKNOWN_TICKER_RECHECK: setting(
    env.duration(60_000, 30 * 24 * 3_600_000),
    'How long a ticker the source does not know is left out before it is asked for again',
    { default: '24h' },
  ),

  BREAKER_TIMEOUT: setting(
    env.duration(10, 600_000),
    'Circuit breaker: a batch fetch taking longer fails (and its request is aborted)',
    { default: '10s' },
  ),
  BREAKER_ERROR_PERCENT: setting(
    env.int(1, 100),
    'Circuit breaker: opens when this percentage of fetches in the rolling window failed',
    { default: '50' },
  ),
  BREAKER_VOLUME_THRESHOLD: setting(
    env.int(1, 10_000),
    'Circuit breaker: fetches needed in the rolling window before it may open',
    { default: '4' },
  ),
  BREAKER_ROLLING_WINDOW: setting(
    env.duration(1_000, 3_600_000),
    'Circuit breaker: the window its error percentage is computed over',
    { default: '2m' },
  ),
  BREAKER_RESET_TIMEOUT: setting(
    env.duration(100, 3_600_000),
    'Circuit breaker: time open before one trial fetch (half-open) may close it again',
    { default: '30s' },
  ),

  JUMP_THRESHOLD_PERCENT: setting(
    env.number(1, 1_000),
    'A price this far (in %) from the last published one within JUMP_WINDOW is held until the next quote confirms it',
    { default: '25' },
  ),
  JUMP_WINDOW: setting(
    env.duration(0, 24 * 3_600_000),
    'How recent the last price must be for the jump check to apply',
    { default: '5m' },
  ),

  SIMULATED_SEED: setting(
    env.int(0, 2 ** 31 - 1),
    'Seed of the simulated market: the same seed and start give the same prices',
    { default: '42' },
  ),
  SIMULATED_SPEED: setting(
    env.number(0.001, 100_000),
    'How many times faster than real time the simulated market moves (60 = an hour of moves per minute)',
    { default: '60' },
  ),
  SIMULATED_HOURS: setting(
    env.oneOf(['exchange', 'always']),
    'exchange: simulated tickers trade only in their exchange sessions (time zone, holidays); always: around the clock',
    { default: 'exchange' },
  ),

  REPLAY_PATH: setting(
    recordingPath(),
    `JSONL recording the replay source plays ("${SAMPLE_RECORDING}" = collector/recordings/sample.jsonl)`,
    { default: SAMPLE_RECORDING },
  ),
  REPLAY_SPEED: setting(
    env.number(0, 100_000),
    'Replay pace relative to the recorded market times (1 = as recorded, 0 = as fast as possible)',
    { default: '1' },
  ),
};

export type CollectorConfig = ConfigOf<typeof settings>;

/** The circuit breaker's part of the configuration. */
export function breakerSettings(config: CollectorConfig): BreakerSettings {
  return {
    timeoutMs: config.BREAKER_TIMEOUT,
    errorThresholdPercentage: config.BREAKER_ERROR_PERCENT,
    volumeThreshold: config.BREAKER_VOLUME_THRESHOLD,
    rollingWindowMs: config.BREAKER_ROLLING_WINDOW,
    resetTimeoutMs: config.BREAKER_RESET_TIMEOUT,
  };
}

/** The polling cycle's part of the configuration. */
export function cycleSettings(config: CollectorConfig): CycleSettings {
  return {
    defaultTickers: config.DEFAULT_TICKERS,
    batchSize: config.QUOTE_BATCH_SIZE,
    hygiene: {
      jumpThresholdPercent: config.JUMP_THRESHOLD_PERCENT,
      jumpWindowMs: config.JUMP_WINDOW,
    },
    unknownRecheckMs: config.UNKNOWN_TICKER_RECHECK,
  };
}
