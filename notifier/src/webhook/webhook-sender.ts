/**
 * The webhook channel: POST the JSON payload, signed, within a timeout, to a public address
 * only (unless allowed by configuration). Redirects are not followed. What the receiver says
 * decides the failure: 2xx sent; 408, 429, 5xx, timeouts and network errors transient (the
 * retry tiers try again); other 4xx and 3xx permanent; a refused target permanent.
 */
import http from 'node:http';
import https from 'node:https';
import type { ChannelSender } from '../channels.ts';
import { DeliveryError, FailureCode } from '../deliveries/delivery-error.ts';
import type { Links } from '../email/links.ts';
import { SIGNATURE_HEADER, signatureHeader } from './signature.ts';
import { checkLiteralHost, guardedLookup, TargetRefusedError } from './target-guard.ts';
import { webhookPayload } from './webhook-payload.ts';

export interface WebhookSenderOptions {
  readonly links: Links;
  /** Connect + answer limit, ms. */
  readonly timeoutMs: number;
  readonly allowPrivateTargets: boolean;
  readonly userAgent?: string;
}

interface WebhookResponse {
  readonly status: number;
  readonly requestId: string | null;
}

/** Bytes of a response body read (and thrown away) at most. */
const MAX_RESPONSE_BYTES = 64 * 1024;

function post(
  url: URL,
  headers: Record<string, string>,
  body: string,
  options: WebhookSenderOptions,
): Promise<WebhookResponse> {
  checkLiteralHost(url, options.allowPrivateTargets);
  const client = url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const request = client.request(url, {
      method: 'POST',
      headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      lookup: guardedLookup(options.allowPrivateTargets),
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    request.once('error', reject);
    request.once('response', (response) => {
      let read = 0;
      response.on('data', (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_RESPONSE_BYTES) response.destroy();
      });
      response.once('close', () => {
        const requestId = response.headers['x-request-id'];
        resolve({
          status: response.statusCode ?? 0,
          requestId: typeof requestId === 'string' ? requestId : null,
        });
      });
      response.once('error', () => undefined);
    });
    request.end(body);
  });
}

function classifyStatus(status: number): DeliveryError | undefined {
  if (status >= 200 && status < 300) return undefined;
  const message = `webhook answered HTTP ${status}`;
  const transient = status === 408 || status === 429 || status >= 500;
  if (status >= 300 && status < 400) {
    return new DeliveryError(FailureCode.webhook, `${message} (redirects are not followed)`, true);
  }
  return new DeliveryError(FailureCode.webhook, message, !transient);
}

export function createWebhookSender(options: WebhookSenderOptions): ChannelSender {
  const userAgent = options.userAgent ?? 'tickwatch-notifier/1';
  return {
    async send(content, recipient) {
      const webhook = recipient.webhook;
      if (!webhook) throw new DeliveryError(FailureCode.noWebhook, 'the user has no webhook', true);
      const payload = webhookPayload(content, options.links);
      const body = JSON.stringify(payload);
      const headers = {
        'content-type': 'application/json',
        'user-agent': userAgent,
        'x-tickwatch-event': payload.type,
        'x-tickwatch-delivery': content.deliveryId,
        [SIGNATURE_HEADER]: signatureHeader(webhook.secret, body, Math.floor(Date.now() / 1000)),
      };
      let response: WebhookResponse;
      try {
        response = await post(new URL(webhook.url), headers, body, options);
      } catch (error) {
        if (error instanceof TargetRefusedError) {
          throw new DeliveryError(FailureCode.webhookRefused, error.message, true);
        }
        const message = error instanceof Error ? error.message : String(error);
        throw new DeliveryError(FailureCode.webhook, `webhook request failed: ${message}`, false, {
          cause: error,
        });
      }
      const failure = classifyStatus(response.status);
      if (failure) throw failure;
      return { messageId: response.requestId };
    },
  };
}
