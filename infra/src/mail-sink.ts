/**
 * A local SMTP server that accepts every message and keeps it: the test double of a real mail
 * server for the notifier's tests and benchmark, and the embedded default's mail catcher (with
 * `directory`, each message is also written there as an .eml file). It speaks real SMTP
 * (smtp-server), so the sender under test goes through its whole SMTP client, and it can fail
 * the ways real servers fail: refuse connections (stopped), answer a transaction with a
 * temporary or permanent error, reject one recipient.
 *
 *   const sink = await startMailSink();              // 127.0.0.1, a free port
 *   process.env.SMTP_URL = sink.url;                 // smtp://127.0.0.1:<port>
 *   const [mail] = await sink.waitFor(1);            // parsed with mailparser
 *   sink.rejectRecipient('bounce@example.com');      // 550 at RCPT TO
 *   await sink.stop(); await sink.start();           // down (connection refused), then up
 */
import { mkdir, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer, type SMTPServerAddress } from 'smtp-server';
import type { Logger } from './log.ts';
import { pollUntil } from './testing/poll-until.ts';

export interface CapturedMail {
  /** SMTP envelope: MAIL FROM and every accepted RCPT TO. */
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  /** The message exactly as received (RFC 5322). */
  readonly raw: Buffer;
  readonly parsed: ParsedMail;
  readonly receivedAt: Date;
  /** Where it was written, with `directory`. */
  readonly file?: string;
}

/** An SMTP reply the sink gives instead of accepting: code 4xx is temporary, 5xx permanent. */
export interface SmtpReply {
  readonly code: number;
  readonly message: string;
}

export interface MailSinkOptions {
  readonly host?: string;
  /** 0 (default) picks a free port; `port` keeps it across stop()/start(). */
  readonly port?: number;
  /** Also write each message to `<directory>/<time>-<n>.eml`. */
  readonly directory?: string;
  /**
   * Keep every message in `messages` (the default, for tests). A long-running sink (npm start)
   * turns it off: the files are the record, and memory stays flat.
   */
  readonly retain?: boolean;
  readonly logger?: Logger;
}

export interface MailSink {
  readonly host: string;
  readonly port: number;
  /** `smtp://host:port`, for SMTP_URL. */
  readonly url: string;
  /** Every message accepted so far, in order. */
  readonly messages: readonly CapturedMail[];
  /** Resolves with the first `count` messages once that many arrived (10 s deadline). */
  waitFor(count: number, options?: { timeoutMs?: number }): Promise<readonly CapturedMail[]>;
  /** RCPT TO this address is answered with `reply` (default 550 mailbox unavailable). */
  rejectRecipient(address: string, reply?: SmtpReply): void;
  /** Every transaction is answered at MAIL FROM with `reply` until `failTransactions(null)`. */
  failTransactions(reply: SmtpReply | null): void;
  /** Accepted transactions so far, including those whose message was refused later. */
  connections(): number;
  /** Closes the port (clients get connection refused); open sessions are cut. */
  stop(): Promise<void>;
  /** Listens again on the same port. */
  start(): Promise<void>;
}

/** How long `stop()` lets open sessions finish before cutting them. */
const CLOSE_TIMEOUT_MS = 100;

function smtpError(reply: SmtpReply): Error {
  return Object.assign(new Error(reply.message), { responseCode: reply.code });
}

export async function startMailSink(options: MailSinkOptions = {}): Promise<MailSink> {
  const { host = '127.0.0.1', directory, logger, retain = true } = options;
  const messages: CapturedMail[] = [];
  const rejected = new Map<string, SmtpReply>();
  let transactionFailure: SmtpReply | null = null;
  let connectionCount = 0;
  let written = 0;
  if (directory) await mkdir(directory, { recursive: true });

  const keep = async (raw: Buffer, from: string, to: string[]): Promise<void> => {
    const receivedAt = new Date();
    let file: string | undefined;
    if (directory) {
      written += 1;
      const stamp = receivedAt.toISOString().replace(/[:.]/g, '-');
      file = path.join(directory, `${stamp}-${String(written).padStart(6, '0')}.eml`);
      await writeFile(file, raw);
    }
    const parsed = await simpleParser(raw);
    if (retain) {
      messages.push({ envelope: { from, to }, raw, parsed, receivedAt, ...(file ? { file } : {}) });
    }
    logger?.info({ from, to, subject: parsed.subject, file }, 'mail sink received a message');
  };

  const createServer = () =>
    new SMTPServer({
      secure: false,
      authOptional: true,
      disabledCommands: ['AUTH', 'STARTTLS'],
      logger: false,
      closeTimeout: CLOSE_TIMEOUT_MS,
      size: 10 * 1024 * 1024,
      onConnect(_session, callback) {
        connectionCount += 1;
        callback();
      },
      onMailFrom(_address, _session, callback) {
        callback(transactionFailure ? smtpError(transactionFailure) : null);
      },
      onRcptTo(address: SMTPServerAddress, _session, callback) {
        const reply = rejected.get(address.address.toLowerCase());
        callback(reply ? smtpError(reply) : null);
      },
      onData(stream, session, callback) {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => {
          const from = session.envelope.mailFrom ? session.envelope.mailFrom.address : '';
          const to = session.envelope.rcptTo.map((r) => r.address);
          keep(Buffer.concat(chunks), from, to).then(
            () => {
              callback();
            },
            (error: unknown) => {
              callback(error as Error);
            },
          );
        });
      },
    });

  let server = createServer();
  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        // A session error (a client that went away) must not crash the process.
        server.on('error', (error) => logger?.warn({ err: error }, 'mail sink session error'));
        resolve((server.server.address() as AddressInfo).port);
      });
    });
  const port = await listen(options.port ?? 0);
  let listening = true;

  return {
    host,
    port,
    url: `smtp://${host}:${port}`,
    messages,
    async waitFor(count, { timeoutMs = 10_000 } = {}) {
      await pollUntil(`${count} message(s) in the mail sink`, () => messages.length >= count, {
        timeoutMs,
      });
      return messages.slice(0, count);
    },
    rejectRecipient(address, reply = { code: 550, message: 'Mailbox unavailable' }) {
      rejected.set(address.toLowerCase(), reply);
    },
    failTransactions(reply) {
      transactionFailure = reply;
    },
    connections: () => connectionCount,
    async stop() {
      if (!listening) return;
      listening = false;
      await new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
      });
    },
    async start() {
      if (listening) return;
      server = createServer();
      await listen(port);
      listening = true;
    },
  };
}
