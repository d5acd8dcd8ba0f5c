/**
 * The emails npm start's SMTP sink writes (./var/mail/*.eml): the ones addressed to one
 * recipient that arrived since the demo started, parsed for their subject and text.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { simpleParser } from 'mailparser';

export interface ReceivedEmail {
  readonly file: string;
  readonly subject: string;
  readonly text: string;
}

export interface MailFolder {
  /** Emails to the recipient written since the last call (the first call: since creation). */
  newEmails(): Promise<ReceivedEmail[]>;
}

export async function watchMailFolder(dir: string, recipient: string): Promise<MailFolder> {
  const list = () =>
    readdir(dir).then(
      (files) => files.filter((f) => f.endsWith('.eml')),
      () => [],
    );
  const seen = new Set(await list());
  return {
    async newEmails() {
      const found: ReceivedEmail[] = [];
      for (const name of (await list()).sort()) {
        if (seen.has(name)) continue;
        seen.add(name);
        const file = path.join(dir, name);
        const mail = await simpleParser(await readFile(file));
        const to = [mail.to ?? []].flat().flatMap((address) => address.value);
        if (to.some((address) => address.address?.toLowerCase() === recipient.toLowerCase())) {
          found.push({ file, subject: mail.subject ?? '(no subject)', text: mail.text ?? '' });
        }
      }
      return found;
    },
  };
}
