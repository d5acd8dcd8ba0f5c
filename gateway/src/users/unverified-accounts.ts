/**
 * Accounts that never verified their address do not hold it (nor any rule or watch) for ever:
 * a periodic pass deletes, like deleteAccount, every account older than UNVERIFIED_ACCOUNT_TTL
 * still waiting for its first address (found through the sparse `pendingEmail` index). A squatter
 * on someone's address, or a typo, is gone after the TTL; the owner never notices either.
 */
import type { Logger } from '@tickwatch/infra/log';
import { periodic } from '@tickwatch/infra/periodic';
import type { Component } from '@tickwatch/infra/service';
import type { Accounts } from './accounts.ts';

export interface UnverifiedAccounts extends Component {
  /** Deletes every expired account; returns how many. */
  expire(): Promise<number>;
  start(): void;
}

/** Accounts deleted per query: a pass loops until none is left. */
const BATCH = 100;

export function createUnverifiedAccounts(options: {
  readonly accounts: Pick<Accounts, 'deleteUnverified'>;
  readonly ttlMs: number;
  readonly intervalMs: number;
  readonly logger: Logger;
}): UnverifiedAccounts {
  const { accounts, logger } = options;

  const expire = async (): Promise<number> => {
    const createdBefore = new Date(Date.now() - options.ttlMs);
    let total = 0;
    for (;;) {
      const deleted = await accounts.deleteUnverified(createdBefore, BATCH);
      total += deleted;
      if (deleted < BATCH) break;
    }
    if (total > 0) logger.info({ deleted: total }, 'deleted accounts never verified');
    return total;
  };

  const pass = periodic(expire, {
    intervalMs: options.intervalMs,
    onError: (error) => {
      logger.warn({ err: error }, 'deleting accounts never verified failed');
    },
  });

  return { name: 'unverified-accounts', expire, start: pass.start, stop: pass.stop };
}
