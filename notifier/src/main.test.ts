import { describeEntryPoint } from '@tickwatch/infra/testing';

describeEntryPoint({
  entry: new URL('./main.ts', import.meta.url),
  validEnv: { NOTIFIER_OPS_PORT: '0', LOG_LEVEL: 'info' },
  invalidEnv: { NOTIFIER_OPS_PORT: 'http', LOG_LEVEL: 'loud' },
  badVariables: ['NOTIFIER_OPS_PORT', 'LOG_LEVEL'],
});
