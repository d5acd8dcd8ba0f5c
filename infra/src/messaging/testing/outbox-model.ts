/** A small aggregate with an outbox, shared by the outbox tests and their child process. */
import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '../outbox/pending-events.ts';

export interface Account extends OutboxFields {
  _id: string;
  email: string;
  version: number;
}

const accountFields = { _id: String, email: String, version: Number };

export function accountModel(connection: Connection): Model<Account> {
  const existing = connection.models.Account as Model<Account> | undefined;
  if (existing) return existing;
  const schema = new Schema<Account>(accountFields);
  schema.plugin(outboxPlugin);
  return connection.model<Account>('Account', schema);
}
