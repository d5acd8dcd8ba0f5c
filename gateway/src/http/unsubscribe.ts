/**
 * One-click unsubscribe (RFC 8058), the link in every email the notifier sends:
 * `${PUBLIC_BASE_URL}/unsubscribe?token=<signed token>` (infra/signed-links, purpose
 * `unsubscribe`, subject the user id).
 * - GET shows a confirmation page with a button and changes nothing: mail scanners and link
 *   previews follow links, and must not unsubscribe anyone.
 * - POST (the button, or a mail client's one-click `List-Unsubscribe=One-Click`) sets
 *   `alertsUnsubscribed` and publishes user.preferences-changed through the outbox; 200.
 * - A tampered, expired or foreign token: 400 and a page saying so; nothing changes.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import { LinkTokenError, type LinkSigner } from '@tickwatch/infra/signed-links';
import type { Logger } from '@tickwatch/infra/log';
import { currentTraceContext } from '@tickwatch/infra/telemetry';
import { unsubscribe } from '../users/preference-commands.ts';
import type { UserStore } from '../users/user-store.ts';
import { escapeHtml, page, PAGE_HEADERS } from './pages.ts';

export const UNSUBSCRIBE_PATH = '/unsubscribe';

function send(response: Response, status: number, title: string, body: string): void {
  response.status(status).set(PAGE_HEADERS).send(page(title, body));
}

function tokenOf(request: Request): string {
  const token = request.query.token;
  return typeof token === 'string' ? token : '';
}

function refuse(response: Response, error: unknown): void {
  const reason =
    error instanceof LinkTokenError && error.problem === 'expired'
      ? 'This unsubscribe link has expired.'
      : 'This unsubscribe link is not valid (it may have been changed or cut).';
  send(
    response,
    400,
    'Link not valid',
    `<p>${reason} Nothing was changed.</p><p>Use the link of a recent alert email, or change your preferences in tickwatch.</p>`,
  );
}

export function unsubscribeRouter(options: {
  readonly links: LinkSigner;
  readonly store: UserStore;
  readonly logger: Logger;
}): Router {
  const { links, store, logger } = options;
  const router = express.Router();

  router.get(UNSUBSCRIBE_PATH, async (request, response) => {
    const token = tokenOf(request);
    try {
      await links.verify('unsubscribe', token);
    } catch (error) {
      refuse(response, error);
      return;
    }
    send(
      response,
      200,
      'Unsubscribe from tickwatch alerts',
      `<p>Stop every tickwatch alert (email and webhook) for this account?</p>
<form method="post" action="${UNSUBSCRIBE_PATH}?token=${escapeHtml(encodeURIComponent(token))}">
<input type="hidden" name="List-Unsubscribe" value="One-Click">
<button type="submit">Unsubscribe</button>
</form>`,
    );
  });

  router.post(
    UNSUBSCRIBE_PATH,
    express.urlencoded({ extended: false, limit: '1kb' }),
    async (request, response) => {
      let userId: string;
      try {
        userId = (await links.verify('unsubscribe', tokenOf(request))).subject;
      } catch (error) {
        refuse(response, error);
        return;
      }
      try {
        await store.run(
          { userId, operation: 'unsubscribe', args: {}, trace: currentTraceContext() },
          unsubscribe,
        );
      } catch (error) {
        // A deleted account has nothing left to unsubscribe: the answer is the same.
        if ((error as { extensions?: { code?: string } }).extensions?.code !== 'UNAUTHENTICATED')
          throw error;
        logger.info({ userId }, 'unsubscribe for an account that no longer exists');
      }
      send(
        response,
        200,
        'Unsubscribed',
        '<p>You will receive no more tickwatch alerts. You can subscribe again from your account preferences.</p>',
      );
    },
  );

  return router;
}
