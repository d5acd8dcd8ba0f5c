/**
 * What a channel (email, webhook) is asked to deliver, and the one method it implements. A
 * channel throws a classified DeliveryError when it fails; everything else (claims, caps,
 * retries, events) is the delivery's business, the same for every channel.
 */
import {
  DeliveryKind,
  type Alert,
  type Channel,
  type DeliveryDocument,
  type DigestItem,
} from './deliveries/delivery-model.ts';
import type { Recipient } from './recipients/recipients.ts';

export type DeliveryContent =
  | { readonly kind: 'ALERT'; readonly deliveryId: string; readonly alert: Alert }
  | { readonly kind: 'TEST'; readonly deliveryId: string; readonly requestId: string }
  | {
      readonly kind: 'DIGEST';
      readonly deliveryId: string;
      readonly items: readonly DigestItem[];
    };

export interface SendResult {
  /** The email's Message-ID or the webhook receiver's request id, when there is one. */
  readonly messageId: string | null;
}

export interface ChannelSender {
  send(content: DeliveryContent, recipient: Recipient): Promise<SendResult>;
}

export type ChannelSenders = Readonly<Record<Channel, ChannelSender>>;

export function contentOf(delivery: DeliveryDocument): DeliveryContent {
  switch (delivery.kind) {
    case DeliveryKind.alert:
      if (!delivery.alert) throw new Error(`alert delivery ${delivery._id} has no alert`);
      return { kind: 'ALERT', deliveryId: delivery._id, alert: delivery.alert };
    case DeliveryKind.test:
      return { kind: 'TEST', deliveryId: delivery._id, requestId: delivery.sourceId };
    case DeliveryKind.digest:
      return { kind: 'DIGEST', deliveryId: delivery._id, items: delivery.items ?? [] };
    case DeliveryKind.account:
      // Account emails carry their content in their event (email/account-emails.ts).
      throw new Error(`account email ${delivery._id} is not delivered through a channel`);
  }
}
