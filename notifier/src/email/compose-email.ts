/**
 * Turns a delivery into an email: subject, text and HTML bodies from the templates in
 * templates/ (Eta; the HTML instance escapes every `<%= %>`, so no user-supplied text reaches
 * the HTML unescaped), the deterministic Message-ID and the RFC 8058 one-click unsubscribe
 * headers. Pure apart from signing the unsubscribe token.
 */
import path from 'node:path';
import { Eta } from 'eta';
import { describeAlert, formatInstant, type DetailLine } from '../alert-description.ts';
import type { DeliveryContent } from '../channels.ts';
import { FailureCode } from '../deliveries/delivery-error.ts';
import type { Alert } from '../deliveries/delivery-model.ts';
import type { Recipient } from '../recipients/recipients.ts';
import type { Links } from './links.ts';

export interface ComposedEmail {
  readonly subject: string;
  readonly text: string;
  readonly html: string;
  /** `<alertId.email@domain>`: the same alert always gets the same Message-ID. */
  readonly messageId: string;
  readonly headers: Readonly<Record<string, string>>;
}

export interface EmailComposerOptions {
  readonly links: Links;
  /** The right-hand side of Message-IDs: the From address's domain. */
  readonly messageIdDomain: string;
  /** The cap a digest mentions when the user has not set one. */
  readonly defaultMaxAlertsPerHour: number;
}

export interface EmailComposer {
  compose(content: DeliveryContent, recipient: Recipient): Promise<ComposedEmail>;
}

const views = path.join(import.meta.dirname, 'templates');
// Templates are files of this package: cached once read.
const html = new Eta({ views, autoEscape: true, cache: true });
const text = new Eta({ views, autoEscape: false, autoTrim: false, cache: true });

/** A template pair (`<name>-html.eta`, `<name>-text.eta`) rendered with `data`. */
export function renderEmail(
  template: string,
  data: Record<string, unknown>,
): { html: string; text: string } {
  return {
    html: html.render(`./${template}-html`, data),
    text: text.render(`./${template}-text`, data),
  };
}

/** Width of the label column in text bodies. */
const labelWidth = (lines: readonly DetailLine[]): number =>
  Math.max(...lines.map((line) => line.label.length));

export function createEmailComposer(options: EmailComposerOptions): EmailComposer {
  const { links, messageIdDomain, defaultMaxAlertsPerHour } = options;
  const messageId = (local: string): string => `<${local}@${messageIdDomain}>`;

  const alertView = (alert: Alert, timeZone: string) => {
    const description = describeAlert(alert, timeZone);
    return {
      summary: description.summary,
      details: description.details,
      manageUrl: links.manageRule(alert.ruleId),
    };
  };

  return {
    async compose(content, recipient) {
      const unsubscribeUrl = await links.unsubscribe(recipient.userId);
      const common = { email: recipient.email, unsubscribeUrl, homeUrl: links.home() };
      const headers = {
        // RFC 8058: mail clients show an unsubscribe button that POSTs to the same URL.
        'List-Unsubscribe': `<${unsubscribeUrl}>`,
        'List-Unsubscribe-Post': 'List-Unsubscribe=One-Click',
        // RFC 3834: no vacation auto-replies to alerts.
        'Auto-Submitted': 'auto-generated',
        'X-Tickwatch-Delivery': content.deliveryId,
      };
      switch (content.kind) {
        case 'ALERT': {
          const view = alertView(content.alert, recipient.timeZone);
          const subject = view.summary;
          return {
            subject,
            ...renderEmail('alert', {
              ...common,
              ...view,
              subject,
              labelWidth: labelWidth(view.details),
            }),
            messageId: messageId(`${content.alert.alertId}.email`),
            headers: { ...headers, 'X-Tickwatch-Alert-Id': content.alert.alertId },
          };
        }
        case 'TEST': {
          const subject = 'tickwatch test notification';
          const data = {
            ...common,
            subject,
            sentAt: formatInstant(new Date(), recipient.timeZone),
            timeZone: recipient.timeZone,
          };
          return {
            subject,
            ...renderEmail('test', data),
            messageId: messageId(`${content.requestId}.test`),
            headers,
          };
        }
        case 'DIGEST': {
          const items = content.items.map((item) => alertView(item.alert, recipient.timeZone));
          const times = content.items.map((item) => item.alert.triggeredAt).sort();
          const count = items.length;
          const alerts = `${count} alert${count === 1 ? '' : 's'}`;
          const from = formatInstant(times[0] ?? new Date(), recipient.timeZone);
          const to = formatInstant(times.at(-1) ?? new Date(), recipient.timeZone);
          // Quiet hours win the wording: a capped alert in the digest waited for them too.
          const quiet = content.items.some((item) => item.heldBy === FailureCode.quietHours);
          const hours = recipient.quietHours;
          const subject = quiet
            ? `tickwatch: ${alerts} from your quiet hours`
            : `tickwatch: ${alerts} held back by your hourly cap`;
          const intro = quiet
            ? `Your quiet hours${hours ? ` (${hours.start} to ${hours.end}, ${recipient.timeZone})` : ''} held these alerts back; they fired between ${from} and ${to}.`
            : `You receive at most ${recipient.maxAlertsPerHour ?? defaultMaxAlertsPerHour} alert emails an hour; these alerts fired after that, between ${from} and ${to}.`;
          const data = {
            ...common,
            subject,
            items,
            intro,
            labelWidth: labelWidth(items.flatMap((item) => item.details)),
          };
          return {
            subject,
            ...renderEmail('digest', data),
            messageId: messageId(`${content.deliveryId}.digest`),
            headers,
          };
        }
      }
    },
  };
}
