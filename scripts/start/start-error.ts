/**
 * A reason `npm start` cannot go on that the user can fix (no broker, a port in use, a bad
 * variable): printed as its message alone, without a stack trace, with its exit status.
 */
export class StartError extends Error {
  /** sysexits.h: EX_UNAVAILABLE (69) by default, EX_CONFIG (78) for configuration. */
  readonly exitCode: number;
  constructor(message: string, exitCode = 69) {
    super(message);
    this.name = 'StartError';
    this.exitCode = exitCode;
  }
}
