/**
 * What a new user does with the verification email: finds it among the emails npm start's SMTP
 * sink wrote, opens its link (a page asking to confirm) and presses the button (a POST of the
 * page's form). Alerts reach the address only after that.
 */
import type { MailFolder, ReceivedEmail } from './mail-folder.ts';

export interface Verification {
  readonly email: ReceivedEmail;
  readonly link: string;
  /** The title of the page the button led to ("Address verified"). */
  readonly outcome: string;
}

const LINK = /https?:\/\/\S+\/verify-email\?token=[\w.-]+/;
const TITLE = /<h1>([^<]*)<\/h1>/;

export async function verifyByEmail(mail: MailFolder, timeoutMs: number): Promise<Verification> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    for (const email of await mail.newEmails()) {
      const link = LINK.exec(email.text)?.[0];
      if (!link) continue;
      const page = await fetch(link, { signal: AbortSignal.timeout(10_000) });
      if (!page.ok) throw new Error(`the verification link answered ${page.status}`);
      const action = /<form method="post" action="([^"]+)"/.exec(await page.text())?.[1];
      if (!action) throw new Error('the verification page has no form');
      const done = await fetch(new URL(action.replaceAll('&amp;', '&'), link), {
        method: 'POST',
        signal: AbortSignal.timeout(10_000),
      });
      const outcome = TITLE.exec(await done.text())?.[1] ?? `HTTP ${done.status}`;
      if (!done.ok) throw new Error(`verifying failed: ${outcome}`);
      return { email, link, outcome };
    }
    if (Date.now() > deadline) throw new Error('no verification email arrived');
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
