/**
 * Options every mingo call shares. Scripts ($where, $function, $accumulator) are off: a database
 * server must not run client-supplied JavaScript in its own process.
 */
export const mingoOptions = {
  idKey: '_id',
  scriptEnabled: false,
  useStrictMode: true,
} as const;
