/**
 * The JSON a webhook receives (README "Webhooks"): what happened (`type`), the delivery id (the
 * same on a retry, so receivers can drop repeats), the alert as numbers and a one-line summary.
 */
import { describeAlert } from '../alert-description.ts';
import type { DeliveryContent } from '../channels.ts';
import type { Alert } from '../deliveries/delivery-model.ts';
import type { Links } from '../email/links.ts';

export const WebhookEventType = {
  alert: 'alert.triggered',
  test: 'notification.test',
  digest: 'alert.digest',
} as const;

function alertPayload(alert: Alert, links: Links) {
  return {
    alertId: alert.alertId,
    ruleId: alert.ruleId,
    ticker: alert.ticker,
    summary: describeAlert(alert, 'UTC').summary,
    condition: alert.condition,
    frequency: alert.frequency,
    price: alert.price,
    previousPrice: alert.previousPrice,
    referencePrice: alert.referencePrice,
    currency: alert.currency,
    marketTime: alert.marketTime,
    delayMinutes: alert.delayMinutes,
    triggeredAt: alert.triggeredAt,
    manageUrl: links.manageRule(alert.ruleId),
  };
}

export function webhookPayload(content: DeliveryContent, links: Links) {
  const sentAt = new Date().toISOString();
  switch (content.kind) {
    case 'ALERT':
      return {
        type: WebhookEventType.alert,
        deliveryId: content.deliveryId,
        sentAt,
        alert: alertPayload(content.alert, links),
      };
    case 'TEST':
      return {
        type: WebhookEventType.test,
        deliveryId: content.deliveryId,
        sentAt,
        requestId: content.requestId,
      };
    case 'DIGEST':
      return {
        type: WebhookEventType.digest,
        deliveryId: content.deliveryId,
        sentAt,
        alerts: content.items.map((item) => alertPayload(item.alert, links)),
      };
  }
}
