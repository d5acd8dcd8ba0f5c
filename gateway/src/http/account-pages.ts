/**
 * The pages behind the account emails' links (users/account-links.ts):
 *   /verify-email?token=…    verify the address
 *   /confirm-email?token=…   make the new address the account's
 *   /reset-password?token=…  choose a new password (every session ends)
 * GET checks the link and shows a page with a button (a form) and changes nothing: mail
 * scanners and link previews follow links, and must not verify a stranger's address for
 * them. POST (the button) does it, through the same code as the GraphQL mutations. A
 * tampered, expired, used or foreign link: 400 and a page saying why; nothing changes.
 */
import type { Request, Response, Router } from 'express';
import express from 'express';
import { currentTraceContext } from '@tickwatch/infra/telemetry';
import { PASSWORD_MIN_LENGTH } from '../auth/password-policy.ts';
import { codeOf, ErrorCode } from '../graphql/errors.ts';
import {
  CONFIRM_EMAIL_PATH,
  RESET_PASSWORD_PATH,
  VERIFY_EMAIL_PATH,
  type AccountLinkPurpose,
  type AccountLinks,
} from '../users/account-links.ts';
import type { EmailFlows } from '../users/email-flows.ts';
import type { PasswordFlows } from '../users/password-flows.ts';
import { escapeHtml, page, PAGE_HEADERS } from './pages.ts';

interface AccountPage {
  readonly path: string;
  readonly purpose: AccountLinkPurpose;
  readonly title: string;
  /** The form's inside: a question, fields, the button. */
  readonly form: string;
  /** Does what the link is for, with the posted form. */
  readonly act: (token: string, form: Record<string, string>) => Promise<void>;
  readonly done: { readonly title: string; readonly body: string };
}

function send(response: Response, status: number, title: string, body: string): void {
  response.status(status).set(PAGE_HEADERS).send(page(title, body));
}

function tokenOf(request: Request): string {
  const token = request.query.token;
  return typeof token === 'string' ? token : '';
}

/** A BAD_USER_INPUT from a flow (which field, why); anything else is thrown on. */
function refusal(error: unknown): { field: string; reason: string } {
  if (codeOf(error) !== ErrorCode.badUserInput) throw error;
  return (error as { extensions: { field: string; reason: string } }).extensions;
}

function sentence(text: string): string {
  return escapeHtml(`${text.charAt(0).toUpperCase()}${text.slice(1)}.`);
}

function refuse(response: Response, reason: string): void {
  send(response, 400, 'Link not valid', `<p>${sentence(reason)} Nothing was changed.</p>`);
}

export function accountPagesRouter(options: {
  readonly links: AccountLinks;
  readonly emails: EmailFlows;
  readonly passwords: PasswordFlows;
}): Router {
  const { links, emails, passwords } = options;
  const pages: AccountPage[] = [
    {
      path: VERIFY_EMAIL_PATH,
      purpose: 'verify-email',
      title: 'Verify your email address',
      form: '<p>Confirm that this address may receive your tickwatch alerts.</p><button type="submit">Verify my address</button>',
      act: (token) => emails.verifyEmail(token, currentTraceContext()),
      done: {
        title: 'Address verified',
        body: '<p>Your address is verified: your alerts will reach it.</p>',
      },
    },
    {
      path: CONFIRM_EMAIL_PATH,
      purpose: 'confirm-email-change',
      title: 'Confirm your new email address',
      form: '<p>Make this address the one your tickwatch account and alerts use?</p><button type="submit">Use this address</button>',
      act: (token) => emails.confirmEmailChange(token, currentTraceContext()),
      done: {
        title: 'Address changed',
        body: '<p>Your account now uses this address, and your alerts go to it.</p>',
      },
    },
    {
      path: RESET_PASSWORD_PATH,
      purpose: 'reset-password',
      title: 'Choose a new password',
      form: `<p><label>New password (at least ${PASSWORD_MIN_LENGTH} characters)<br><input type="password" name="newPassword" autocomplete="new-password" minlength="${PASSWORD_MIN_LENGTH}" required></label></p><button type="submit">Set the password</button>`,
      act: (token, form) => passwords.resetPassword({ token, newPassword: form.newPassword ?? '' }),
      done: {
        title: 'Password changed',
        body: '<p>Your new password is set, and every session was signed out: log in again.</p>',
      },
    },
  ];

  const router = express.Router();
  for (const account of pages) {
    const showForm = (response: Response, token: string, status = 200, problem = '') => {
      const action = `${account.path}?token=${encodeURIComponent(token)}`;
      send(
        response,
        status,
        account.title,
        `${problem}<form method="post" action="${escapeHtml(action)}">${account.form}</form>`,
      );
    };
    router.get(account.path, async (request, response) => {
      const token = tokenOf(request);
      try {
        await links.verify(account.purpose, token);
      } catch (error) {
        refuse(response, refusal(error).reason);
        return;
      }
      showForm(response, token);
    });
    router.post(
      account.path,
      express.urlencoded({ extended: false, limit: '4kb' }),
      async (request, response) => {
        try {
          await account.act(tokenOf(request), (request.body ?? {}) as Record<string, string>);
        } catch (error) {
          const { field, reason } = refusal(error);
          // The link is fine, the new password is not: ask again.
          if (field === 'newPassword')
            showForm(response, tokenOf(request), 400, `<p>The password ${escapeHtml(reason)}.</p>`);
          else refuse(response, reason);
          return;
        }
        send(response, 200, account.done.title, account.done.body);
      },
    );
  }
  return router;
}
