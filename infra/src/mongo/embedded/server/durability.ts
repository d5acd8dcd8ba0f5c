/**
 * What a connection waits on before replying to a command that changed data: the journal
 * having written (and, for `j: true`, fsynced) every change made so far. In memory there is
 * nothing to wait for.
 */
export interface Durability {
  /** Number of change records accepted so far; a command that changed nothing leaves it as is. */
  readonly appended: number;
  /** Resolves once every record accepted so far is written, and fsynced when `fsync`. */
  commit(fsync: boolean): Promise<void>;
}

export const inMemory: Durability = {
  appended: 0,
  commit: () => Promise.resolve(),
};
