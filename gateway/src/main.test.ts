import { describeEntryPoint } from '@tickwatch/infra/testing';

describeEntryPoint({
  entry: new URL('./main.ts', import.meta.url),
  validEnv: { GATEWAY_OPS_PORT: '0', LOG_LEVEL: 'info' },
  invalidEnv: { GATEWAY_OPS_PORT: 'http', LOG_LEVEL: 'loud' },
  badVariables: ['GATEWAY_OPS_PORT', 'LOG_LEVEL'],
});
