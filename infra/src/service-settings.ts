/** Settings every service process shares: logging and its operations HTTP server. */
import { env, setting } from './config.ts';

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const logLevelSetting = setting(env.oneOf(LOG_LEVELS), 'Log level (JSON lines on stdout)', {
  default: 'info',
});

/** Address of the /healthz /readyz /metrics server: 0.0.0.0 in containers, loopback otherwise. */
export const opsHostSetting = setting(
  env.string(),
  'Address the operations server (/healthz, /readyz, /metrics) binds',
  { default: '127.0.0.1' },
);

export function opsPortSetting(service: string, defaultPort: number) {
  return setting(env.port(), `Port of the ${service}'s operations server (0 = any free port)`, {
    default: String(defaultPort),
  });
}
