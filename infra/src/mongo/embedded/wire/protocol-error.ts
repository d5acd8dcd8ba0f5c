/**
 * A violation of the wire protocol (bad frame, unknown opcode, invalid BSON). Unlike a command
 * error it cannot be answered on the same stream with confidence, so the connection is closed
 * and the reason logged; other connections and stored data are untouched.
 */
export class ProtocolError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ProtocolError';
  }
}
