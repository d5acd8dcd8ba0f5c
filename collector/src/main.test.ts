import { describeEntryPoint } from '@tickwatch/infra/testing';

describeEntryPoint({
  entry: new URL('./main.ts', import.meta.url),
  validEnv: { COLLECTOR_OPS_PORT: '0', LOG_LEVEL: 'info' },
  invalidEnv: { COLLECTOR_OPS_PORT: 'http', LOG_LEVEL: 'loud' },
  badVariables: ['COLLECTOR_OPS_PORT', 'LOG_LEVEL'],
});
