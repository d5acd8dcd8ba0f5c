/**
 * The supervisor's own log lines: infra's logger (the services' JSON shape), written into the
 * shared output under the name `start`.
 */
import { createLogger, type Logger } from '@tickwatch/infra/log';
import type { LogOutput } from './log-output.ts';

export function supervisorLogger(output: LogOutput, level: string): Logger {
  return createLogger(
    { name: 'start', level },
    {
      write(line: string) {
        output.line('start', line.trimEnd());
      },
    },
  );
}
