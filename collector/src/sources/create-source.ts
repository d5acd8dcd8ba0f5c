/** The quote source MARKET_SOURCE names, built from the configuration. */
import { fileURLToPath } from 'node:url';
import type { Logger } from '@tickwatch/infra/log';
import { SAMPLE_RECORDING, type CollectorConfig } from '../config.ts';
import type { QuoteSource } from '../quotes/source.ts';
import { readRecording } from './replay/recording.ts';
import { createReplaySource } from './replay/replay-source.ts';
import { createSimulatedSource } from './simulated/simulated-source.ts';
import { createYahooSource } from './yahoo/yahoo-source.ts';

export const SAMPLE_RECORDING_FILE = fileURLToPath(
  new URL('../../recordings/sample.jsonl', import.meta.url),
);

export async function createSource(config: CollectorConfig, logger: Logger): Promise<QuoteSource> {
  switch (config.MARKET_SOURCE) {
    case 'yahoo':
      return createYahooSource({
        requestsPerMinute: config.YAHOO_MAX_REQUESTS_PER_MINUTE,
        backoff: { initialMs: config.YAHOO_BACKOFF_INITIAL, maxMs: config.YAHOO_BACKOFF_MAX },
        logger,
      });
    case 'simulated':
      return createSimulatedSource({
        seed: config.SIMULATED_SEED,
        speed: config.SIMULATED_SPEED,
        hours: config.SIMULATED_HOURS,
      });
    case 'replay': {
      const path =
        config.REPLAY_PATH === SAMPLE_RECORDING ? SAMPLE_RECORDING_FILE : config.REPLAY_PATH;
      const quotes = await readRecording(path);
      logger.info(
        { path, quotes: quotes.length, speed: config.REPLAY_SPEED },
        'replaying a recording',
      );
      return createReplaySource({ quotes, speed: config.REPLAY_SPEED });
    }
  }
}

/** Whether the source's quotes follow the wall clock's exchange sessions (polling slows when closed). */
export function followsCalendars(config: CollectorConfig): boolean {
  return (
    config.MARKET_SOURCE === 'yahoo' ||
    (config.MARKET_SOURCE === 'simulated' && config.SIMULATED_HOURS === 'exchange')
  );
}
