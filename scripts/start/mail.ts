/**
 * Email for `npm start`: the SMTP server at SMTP_URL when it is set, otherwise the local SMTP
 * sink (`npm run mail:sink`'s script) as a process of its own: every email the notifier sends
 * lands in ./var/mail as an .eml file, with one log line each.
 */
import path from 'node:path';
import type { Logger } from 'pino';
import { loggableUrl } from '../../infra/src/config.ts';
import { startEmbeddedServer } from './embedded-server.ts';

export interface Mail {
  readonly url: string;
  readonly description: string;
  /** Where the emails are, when they are kept here. */
  readonly dir?: string;
  stop(): Promise<void>;
}

export const useExternalSmtp = (url: string): Promise<Mail> =>
  Promise.resolve({
    url,
    description: `SMTP server at ${loggableUrl(url)}`,
    stop: () => Promise.resolve(),
  });

export async function startMailSink(options: {
  readonly port: number;
  readonly dir: string;
  readonly env: NodeJS.ProcessEnv;
  readonly logger: Logger;
  readonly onLine: (line: string, stream: 'stdout' | 'stderr') => void;
}): Promise<Mail> {
  const dir = path.resolve(options.dir);
  const server = await startEmbeddedServer({
    ...options,
    name: 'mail',
    title: 'the SMTP sink',
    script: 'scripts/mail-sink.ts',
    args: ['--port', String(options.port), '--dir', dir],
  });
  return {
    url: `smtp://127.0.0.1:${options.port}`,
    description: `SMTP sink on 127.0.0.1:${options.port}, every email an .eml file`,
    dir,
    stop: () => server.stop(),
  };
}
