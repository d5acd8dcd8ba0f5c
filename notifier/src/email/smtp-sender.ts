/**
 * The email channel: a pooled nodemailer SMTP transport (SMTP_URL, TLS options, timeouts) and
 * the classification of what goes wrong. Only a permanent reply to the message itself (5xx at
 * MAIL FROM, RCPT TO or DATA: the address or the message is refused) fails a delivery for
 * good; a server that is down, slow, answers 4xx, or refuses our credentials is transient, so
 * the retry tiers (and, past them, the DLQ and its replay) carry the email until it can go.
 * The transport's 'error' events are logged: an SMTP failure never reaches the process as an
 * unhandled error (the original notifiers died there).
 */
import nodemailer, { type Transporter } from 'nodemailer';
import type SMTPPool from 'nodemailer/lib/smtp-pool';
import type { Logger } from '@tickwatch/infra/log';
import type { ChannelSender } from '../channels.ts';
import { DeliveryError, FailureCode } from '../deliveries/delivery-error.ts';
import type { EmailComposer } from './compose-email.ts';

export interface SmtpOptions {
  /** smtp://[user:password@]host:port or smtps://… */
  readonly url: string;
  readonly poolSize: number;
  readonly requireTls: boolean;
  readonly rejectUnauthorized: boolean;
  /** Connection, greeting and socket-silence limit, ms. */
  readonly timeoutMs: number;
  /** One connection per message instead of the pool (the benchmark's baseline). */
  readonly pooled?: boolean;
}

export interface SmtpTransport {
  readonly transporter: Transporter<SMTPPool.SentMessageInfo>;
  close(): void;
}

export function createSmtpTransport(options: SmtpOptions, logger: Logger): SmtpTransport {
  const url = new URL(options.url);
  const secure = url.protocol === 'smtps:';
  const transporter = nodemailer.createTransport({
    pool: options.pooled ?? true,
    maxConnections: options.poolSize,
    host: url.hostname,
    port: url.port ? Number(url.port) : secure ? 465 : 587,
    secure,
    requireTLS: options.requireTls,
    ...(url.username
      ? {
          auth: {
            user: decodeURIComponent(url.username),
            pass: decodeURIComponent(url.password),
          },
        }
      : {}),
    tls: { rejectUnauthorized: options.rejectUnauthorized },
    connectionTimeout: options.timeoutMs,
    greetingTimeout: options.timeoutMs,
    socketTimeout: options.timeoutMs,
    // Nothing in a message may make nodemailer read a file or fetch a URL.
    disableFileAccess: true,
    disableUrlAccess: true,
  } as SMTPPool.Options);
  transporter.on('error', (error) => {
    logger.warn({ err: error }, 'SMTP transport error');
  });
  return {
    transporter,
    close: () => {
      transporter.close();
    },
  };
}

/** Error fields nodemailer sets (its types do not declare them). */
interface SmtpFailure {
  readonly code?: string;
  readonly responseCode?: number;
  readonly command?: string;
  readonly message?: string;
}

/** Permanent only when the server refused this message or recipient with a 5xx reply. */
export function classifySmtpError(error: unknown): DeliveryError {
  const failure = (error ?? {}) as SmtpFailure;
  const message = failure.message ?? String(error);
  const refusedMessage = failure.code === 'EENVELOPE' || failure.code === 'EMESSAGE';
  const permanentReply =
    failure.responseCode !== undefined &&
    failure.responseCode >= 500 &&
    failure.responseCode !== 503;
  return new DeliveryError(FailureCode.smtp, message, refusedMessage && permanentReply, {
    cause: error,
  });
}

export interface EmailSenderOptions {
  readonly transport: SmtpTransport;
  readonly composer: EmailComposer;
  readonly from: string;
  /** A send that takes longer is aborted (and retried): it must end within the claim's lease. */
  readonly sendTimeoutMs: number;
}

export function createEmailSender(options: EmailSenderOptions): ChannelSender {
  const { transport, composer, from, sendTimeoutMs } = options;
  return {
    async send(content, recipient) {
      const email = await composer.compose(content, recipient);
      try {
        const info = await transport.transporter.sendMail({
          from,
          to: recipient.email,
          subject: email.subject,
          text: email.text,
          html: email.html,
          messageId: email.messageId,
          headers: email.headers,
          signal: AbortSignal.timeout(sendTimeoutMs),
        });
        return { messageId: info.messageId };
      } catch (error) {
        throw classifySmtpError(error);
      }
    },
  };
}
