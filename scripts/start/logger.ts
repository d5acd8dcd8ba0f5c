/**
 * The supervisor's own log lines: the same JSON shape as the services' (infra/src/log.ts),
 * written into the shared output under the name `start`.
 */
import { pino, type Logger } from 'pino';
import type { LogOutput } from './log-output.ts';

export function supervisorLogger(output: LogOutput, level: string): Logger {
  return pino(
    {
      level,
      base: { service: 'start' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    {
      write(line: string) {
        output.line('start', line.trimEnd());
      },
    },
  );
}
