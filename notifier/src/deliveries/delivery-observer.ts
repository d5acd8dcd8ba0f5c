/** Hooks the delivery path reports through (metrics, tests); no-op by default. */
import type { DeliveryOutcome } from './deliver.ts';
import type { Channel, DeliveryKind } from './delivery-model.ts';

export interface DeliveryObserver {
  /** One attempt at one delivery ended (`retry`: it failed and comes back through a tier). */
  attempted(channel: Channel, kind: DeliveryKind, outcome: DeliveryOutcome | 'retry'): void;
  /** A digest carrying `alerts` capped alerts went out. */
  digested(channel: Channel, alerts: number): void;
}

export const noopDeliveryObserver: DeliveryObserver = {
  attempted: () => undefined,
  digested: () => undefined,
};
