/** What the delivery path reports (metrics.ts turns it into Prometheus metrics; tests record it). */
import type { DeliveryOutcome } from './deliver.ts';
import type { Alert, Channel, DeliveryKind } from './delivery-model.ts';

/** `retry`: the attempt failed transiently and the message comes back through a tier. */
export type AttemptOutcome = DeliveryOutcome | 'retry';

export interface DeliveryObserver {
  /** One attempt at one delivery ended; `failureCode` when it failed, was capped or retried. */
  attempted(
    channel: Channel,
    kind: DeliveryKind,
    outcome: AttemptOutcome,
    seconds: number,
    failureCode?: string,
  ): void;
  /** The SMTP server or the webhook receiver accepted an alert at `acceptedAt` (epoch ms). */
  accepted(channel: Channel, alert: Alert, acceptedAt: number): void;
  /**
   * A sent delivery's SENT state was written `seconds` after the server accepted it: the
   * window in which a crash would send it again.
   */
  recorded(channel: Channel, seconds: number): void;
  /** An alert went over its user's cap and waits for the digest. */
  capped(channel: Channel): void;
  /** A digest carrying `alerts` capped alerts went out. */
  digested(channel: Channel, alerts: number): void;
}

export const noopDeliveryObserver: DeliveryObserver = {
  attempted: () => undefined,
  accepted: () => undefined,
  recorded: () => undefined,
  capped: () => undefined,
  digested: () => undefined,
};

/** Reports to each observer in turn. */
export function combineObservers(...observers: DeliveryObserver[]): DeliveryObserver {
  return {
    attempted: (...args) => {
      for (const observer of observers) observer.attempted(...args);
    },
    accepted: (...args) => {
      for (const observer of observers) observer.accepted(...args);
    },
    recorded: (...args) => {
      for (const observer of observers) observer.recorded(...args);
    },
    capped: (...args) => {
      for (const observer of observers) observer.capped(...args);
    },
    digested: (...args) => {
      for (const observer of observers) observer.digested(...args);
    },
  };
}
