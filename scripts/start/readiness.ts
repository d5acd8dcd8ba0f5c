/**
 * Waits until every service answers 200 on /readyz, saying every so often what it still waits
 * for (each service's /readyz names the components that are not ready yet).
 */
import type { Logger } from 'pino';

export interface ReadinessTarget {
  readonly name: string;
  readonly url: string;
}

export interface ReadinessOptions {
  readonly logger: Logger;
  /** Stops the wait early (shutdown, or a service that keeps crashing): throw to abort. */
  readonly check: () => void;
  readonly intervalMs?: number;
  /** How often the waiting is reported, ms. */
  readonly reportEveryMs?: number;
}

/** Undefined when ready, else what the service says it waits for (or why it did not answer). */
async function notReady(target: ReadinessTarget): Promise<string | undefined> {
  try {
    const response = await fetch(target.url, { signal: AbortSignal.timeout(2_000) });
    if (response.ok) return undefined;
    const body = (await response.json().catch(() => ({}))) as { waiting?: string[] };
    return body.waiting?.join(', ') ?? `status ${response.status}`;
  } catch {
    return 'not answering yet';
  }
}

export async function waitUntilReady(
  targets: readonly ReadinessTarget[],
  options: ReadinessOptions,
): Promise<void> {
  const { logger, check, intervalMs = 200, reportEveryMs = 15_000 } = options;
  let pending = [...targets];
  let nextReport = Date.now() + reportEveryMs;
  for (;;) {
    check();
    const states = await Promise.all(pending.map(async (t) => ({ t, why: await notReady(t) })));
    for (const { t, why } of states) if (why === undefined) logger.info(`${t.name} is ready`);
    const waiting = states.filter(({ why }) => why !== undefined);
    pending = waiting.map(({ t }) => t);
    if (pending.length === 0) return;
    if (Date.now() >= nextReport) {
      nextReport = Date.now() + reportEveryMs;
      const detail = waiting.map(({ t, why }) => `${t.name} (${String(why)})`).join('; ');
      logger.warn(`still waiting for ${detail}`);
    }
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
