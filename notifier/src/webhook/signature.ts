/**
 * The webhook signature (README "Webhook signatures"): `X-Tickwatch-Signature: t=<unix
 * seconds>,v1=<hex HMAC-SHA256 of "<t>.<raw body>" keyed with the webhook secret>`. Signing the
 * timestamp with the body lets a receiver refuse a replayed request (too old) as well as a
 * forged or altered one.
 */
import { createHmac } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-tickwatch-signature';

export function signatureHeader(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
