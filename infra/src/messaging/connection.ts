/**
 * The connection supervisor: connects, declares the topology, attaches every component
 * (publisher, consumers) and does it all again after any loss, with exponential backoff and
 * jitter. One loop for every failure: a lost socket, a missed heartbeat, or a channel the
 * broker closed (a component reports that through `session.fail`, and the whole connection is
 * recycled, so there is one well-tested recovery path instead of one per channel kind).
 * It also tracks whether the broker blocks publishing on the connection (a resource alarm).
 */
import type { Logger } from '../log.ts';
import { exponentialBackoff, type BackoffOptions } from './backoff.ts';
import type { BrokerConnection, Connector } from './broker-channel.ts';
import {
  errorMessage,
  MessagingError,
  MessagingErrorCode,
  TopologyMismatchError,
} from './errors.ts';
import type { MessagingObserver } from './observer.ts';
import { declareTopology } from './topology/declare.ts';
import type { Topology } from './topology/model.ts';

export const ConnectionState = {
  idle: 'idle',
  connecting: 'connecting',
  ready: 'ready',
  reconnecting: 'reconnecting',
  closing: 'closing',
  closed: 'closed',
  /** Start-up hit an error retrying cannot fix (a topology mismatch). */
  failed: 'failed',
} as const;
export type ConnectionState = (typeof ConnectionState)[keyof typeof ConnectionState];

/** One connection's lifetime. Components keep channels opened on it until `detach`. */
export interface Session {
  readonly id: number;
  readonly connection: BrokerConnection;
  readonly alive: boolean;
  /** Reports a broken channel: the connection is recycled and everything re-attached. */
  fail(error: Error): void;
}

export interface SessionComponent {
  readonly name: string;
  /** Runs on every new session after the topology is declared, in registration order. */
  attach(session: Session): Promise<void>;
  /** The session is gone (`error`) or closing (none). Must not throw; drop channel references. */
  detach(error: Error | undefined): void;
}

/** The supervisor's side of a session: it alone marks one dead. */
interface LiveSession extends Session {
  kill(error: Error): void;
  readonly failure: Error | undefined;
}

export interface SupervisorOptions {
  readonly url: string;
  readonly connector: Connector;
  readonly topology: Topology;
  readonly logger: Logger;
  readonly observer: MessagingObserver;
  readonly connectionName: string;
  readonly heartbeatSeconds: number;
  readonly connectTimeoutMs: number;
  readonly reconnect: BackoffOptions;
  /** `start()` gives up (and closes) when not ready by then. */
  readonly startTimeoutMs: number;
  /** The broker blocked publishing (`reason`) or it flows again (undefined). */
  readonly onFlow: (blockedReason: string | undefined) => void;
}

export interface Supervisor {
  start(): Promise<void>;
  /** Registers a component; attaches it at once when a session is up. */
  add(component: SessionComponent): Promise<void>;
  remove(component: SessionComponent): void;
  readonly state: ConnectionState;
  ready(): boolean;
  /** Resolves when ready (now, or after the next successful reconnect). */
  whenReady(): Promise<void>;
  /** The broker's reason while it blocks publishing on the current connection. */
  readonly blocked: string | undefined;
  close(): Promise<void>;
}

/** A read the type checker does not narrow away: `alive` changes during any await. */
const isAlive = (session: Session): boolean => session.alive;

export function createSupervisor(options: SupervisorOptions): Supervisor {
  const { logger, observer } = options;
  const backoff = exponentialBackoff(options.reconnect);
  const components: SessionComponent[] = [];
  let state: ConnectionState = ConnectionState.idle;
  let current: LiveSession | undefined;
  let sessionCount = 0;
  let everReady = false;
  let timer: NodeJS.Timeout | undefined;
  let readyWaiters: { resolve: () => void; reject: (error: Error) => void }[] = [];
  let blocked: string | undefined;

  // A function, not an inline comparison: close() may change `state` during any await.
  const closingNow = (): boolean =>
    state === ConnectionState.closing || state === ConnectionState.closed;

  const setState = (next: ConnectionState): void => {
    if (state !== next) logger.debug({ from: state, to: next }, 'messaging connection state');
    state = next;
  };

  const settleWaiters = (error?: Error): void => {
    const waiters = readyWaiters;
    readyWaiters = [];
    for (const waiter of waiters) {
      if (error) waiter.reject(error);
      else waiter.resolve();
    }
  };

  const detachAll = (error: Error | undefined): void => {
    for (const component of [...components].reverse()) {
      try {
        component.detach(error);
      } catch (detachError) {
        logger.error({ err: detachError, component: component.name }, 'detach threw');
      }
    }
  };

  const setBlocked = (session: Session | undefined, reason: string | undefined): void => {
    // Only the live connection's word counts; a new one starts unblocked.
    if (session !== current || reason === blocked) return;
    blocked = reason;
    if (reason === undefined) {
      logger.info('broker unblocked publishing');
      observer.unblocked();
    } else {
      logger.warn({ reason }, 'broker blocked publishing (resource alarm): publishes wait');
      observer.blocked({ reason });
    }
    options.onFlow(reason);
  };

  /** The session died (socket, heartbeat, or a component's channel): recycle and retry. */
  const lose = (session: Session, error: Error): void => {
    if (session !== current || !session.alive) return;
    current.kill(error);
    const wasReady = state === ConnectionState.ready;
    detachAll(error);
    setBlocked(session, undefined);
    void session.connection.close();
    // While connecting, establish() sees the failure itself and schedules the retry.
    if (wasReady) {
      logger.warn({ err: error }, 'messaging connection lost; reconnecting');
      scheduleReconnect(error);
    }
  };

  const scheduleReconnect = (error: Error): void => {
    if (state === ConnectionState.closing || state === ConnectionState.closed) return;
    setState(ConnectionState.reconnecting);
    const delayMs = backoff.next();
    observer.reconnecting({ attempt: backoff.attempts, delayMs, error });
    timer = setTimeout(() => {
      timer = undefined;
      void establish();
    }, delayMs);
  };

  const establish = async (): Promise<void> => {
    setState(ConnectionState.connecting);
    let session: LiveSession | undefined;
    try {
      const connection = await options.connector({
        url: options.url,
        heartbeatSeconds: options.heartbeatSeconds,
        connectTimeoutMs: options.connectTimeoutMs,
        connectionName: options.connectionName,
        onClosed: (error) => {
          if (session) lose(session, error);
        },
        onBlocked: (reason) => {
          setBlocked(session, reason || 'no reason given');
        },
        onUnblocked: () => {
          setBlocked(session, undefined);
        },
      });
      session = newSession(connection);
      current = session;
      if (closingNow()) throw new Error('closed while connecting');
      await declareTopology(connection, options.topology);
      // Components added while this runs are attached too (the loop re-reads the length).
      for (let i = 0; i < components.length; i++) {
        const component = components[i];
        if (!session.alive) break;
        if (component) await component.attach(session);
      }
      if (!session.alive) throw session.failure ?? new Error('connection lost during setup');
      if (closingNow()) throw new Error('closed while connecting');
      setState(ConnectionState.ready);
      backoff.reset();
      observer.connected({ reconnect: everReady });
      logger.info({ reconnect: everReady }, 'messaging ready');
      everReady = true;
      settleWaiters();
    } catch (error) {
      const failure = error instanceof Error ? error : new Error(errorMessage(error));
      if (session?.alive) session.kill(failure);
      detachAll(failure);
      setBlocked(session, undefined);
      await session?.connection.close();
      if (closingNow()) return;
      if (failure instanceof TopologyMismatchError && !everReady) {
        // Retrying cannot fix this: a migration is needed. Fail start-up loudly.
        setState(ConnectionState.failed);
        logger.error({ err: failure }, 'messaging start-up failed');
        settleWaiters(failure);
        return;
      }
      logger.warn({ err: failure }, 'messaging connection attempt failed');
      scheduleReconnect(failure);
    }
  };

  const newSession = (connection: BrokerConnection): LiveSession => {
    sessionCount += 1;
    const session = {
      id: sessionCount,
      connection,
      alive: true,
      failure: undefined as Error | undefined,
      fail(error: Error) {
        lose(session, error);
      },
      kill(error: Error) {
        session.alive = false;
        session.failure = error;
      },
    };
    return session;
  };

  const whenReady = (): Promise<void> => {
    if (state === ConnectionState.ready) return Promise.resolve();
    if (state === ConnectionState.closed || state === ConnectionState.closing) {
      return Promise.reject(new MessagingError(MessagingErrorCode.closed, 'messaging is closed'));
    }
    return new Promise((resolve, reject) => readyWaiters.push({ resolve, reject }));
  };

  const remove = (component: SessionComponent): void => {
    const index = components.indexOf(component);
    if (index >= 0) components.splice(index, 1);
  };

  let closed: Promise<void> | undefined;
  const close = (): Promise<void> => (closed ??= shutDown());
  const shutDown = async (): Promise<void> => {
    setState(ConnectionState.closing);
    if (timer) clearTimeout(timer);
    timer = undefined;
    const session = current;
    current = undefined;
    if (session?.alive) session.kill(new Error('closing'));
    detachAll(undefined);
    await session?.connection.close();
    setState(ConnectionState.closed);
    settleWaiters(new MessagingError(MessagingErrorCode.closed, 'messaging closed'));
  };

  return {
    async start() {
      if (state !== ConnectionState.idle) throw new Error(`start() called in state ${state}`);
      const ready = whenReady();
      void establish();
      let deadline: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        deadline = setTimeout(() => {
          reject(
            new MessagingError(
              MessagingErrorCode.startTimeout,
              `messaging not ready within ${options.startTimeoutMs} ms (state ${state})`,
            ),
          );
        }, options.startTimeoutMs);
      });
      try {
        await Promise.race([ready, timeout]);
      } catch (error) {
        await close();
        throw error;
      } finally {
        clearTimeout(deadline);
      }
    },
    async add(component) {
      components.push(component);
      const session = current;
      if (state !== ConnectionState.ready || !session?.alive) return;
      try {
        await component.attach(session);
      } catch (error) {
        // The session died under it: the next one attaches it, as if added while disconnected.
        if (!isAlive(session)) return;
        // Refused on a healthy connection: the caller hears why, and nothing stays registered
        // to come back to life after the next reconnect.
        remove(component);
        component.detach(undefined);
        throw error;
      }
    },
    remove,
    get state() {
      return state;
    },
    ready: () => state === ConnectionState.ready,
    get blocked() {
      return blocked;
    },
    whenReady,
    close,
  };
}
