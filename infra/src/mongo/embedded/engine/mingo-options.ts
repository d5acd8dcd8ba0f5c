/**
 * Options every mingo call shares. Scripts ($where, $function, $accumulator) are off: a database
 * server must not run client-supplied JavaScript in its own process. Inputs are not cloned
 * (stored documents are frozen, so nothing can change them), and operator errors throw.
 */
import { ProcessingMode } from 'mingo/core';

export const mingoOptions = {
  idKey: '_id',
  scriptEnabled: false,
  useStrictMode: true,
  processingMode: ProcessingMode.CLONE_OFF,
  failOnError: true,
} as const;
