/**
 * The gateway's aggregate (DESIGN.md §5): one document per user holding the account, its
 * sessions, its alert rules (≤ 100), its watchlist (≤ 200), the results of its recent
 * requests (idempotency) and its outbox. Every command is ONE write of this document, guarded
 * by `version` (optimistic concurrency), so the change, its events and its request id can
 * never be separated by a crash, and no transaction is needed.
 *
 * Addresses (DESIGN.md §7): `email` is the address the account owns, verified (or given, with
 * REQUIRE_EMAIL_VERIFICATION=false), unique among accounts; `pendingEmail` is one waiting for
 * its link: a new account's own address until verified (then it goes by it: `addressOf`), or
 * the address a `changeEmail` asked for. Any number of accounts may wait for one address; the
 * unique index lets only the first to follow its link own it.
 *
 * A deleted account becomes a tombstone (`deletedAt` set, every personal field removed) until
 * the relay has published its last events; then it is removed (tombstones.ts).
 */
import { Schema, type Connection, type Model } from 'mongoose';
import { outboxPlugin, type OutboxFields } from '@tickwatch/infra/messaging/outbox';
import type { Rule } from '@tickwatch/contracts';

/** A rule as the gateway keeps it: the contract's rule plus what only people need. */
export interface StoredRule extends Rule {
  /** A label for people. */
  name?: string | null;
  /** Created by setThresholds: the original system's per-ticker high/low pair. */
  thresholds?: boolean;
}

export interface StoredWatch {
  id: string;
  ticker: string;
  addedAt: Date;
}

export interface StoredSession {
  id: string;
  secretHash: string;
  /** Secrets rotated away (the last few): presenting one again revokes the session. */
  usedHashes?: string[];
  createdAt: Date;
  expiresAt: Date;
}

/** A mutation's answer, kept so that the same requestId gets it again. */
export interface StoredRequest {
  id: string;
  /** Operation and arguments: a requestId reused for something else is refused. */
  fingerprint: string;
  result: unknown;
  at: Date;
}

export interface QuietHours {
  start: string;
  end: string;
}

export interface Preferences {
  alertsUnsubscribed: boolean;
  webhookUrl: string | null;
  webhookSecret: string | null;
  maxAlertsPerHour: number;
  /** Alerts wait from `start` to `end` (HH:MM on the user's clock); null: never. */
  quietHours: QuietHours | null;
  /** The version of user.preferences-changed last published. */
  version: number;
}

export interface UserDocument extends OutboxFields {
  _id: string;
  /** The address the account owns: verified by its link (or given, without verification). */
  email?: string;
  emailVerified: boolean;
  timeZone?: string;
  passwordHash?: string;
  /** Moved on by every password change: a reset link carries it, so it works once. */
  passwordVersion?: number;
  /** An address waiting for its link: registered and not verified yet, or asked for by changeEmail. */
  pendingEmail?: string;
  preferences?: Preferences;
  sessions: StoredSession[];
  rules: StoredRule[];
  watchlist: StoredWatch[];
  requests: StoredRequest[];
  /** Incremented by every write: the optimistic-concurrency guard. */
  version: number;
  createdAt: Date;
  deletedAt?: Date;
}

/** The address the account goes by: its own, or the one it registered and has not verified. */
export function addressOf(user: Pick<UserDocument, 'email' | 'pendingEmail'>): string | undefined {
  return user.email ?? user.pendingEmail;
}

/** The address a `changeEmail` waits for (an account without its own address changes nothing yet). */
export function changingTo(user: Pick<UserDocument, 'email' | 'pendingEmail'>): string | undefined {
  return user.email ? user.pendingEmail : undefined;
}

export const MAX_RULES = 100;
export const MAX_WATCHES = 200;
export const MAX_SESSIONS = 10;
/** Rotated-away refresh secrets remembered per session (reuse detection). */
export const KEEP_USED_SECRETS = 10;
/** Request ids remembered per user (a client retries within minutes, not after 50 more commands). */
export const KEEP_REQUESTS = 50;

// Field declarations as plain objects (mongoose reads them; the interfaces above type them).
const sessionFields = {
  id: { type: String, required: true },
  secretHash: { type: String, required: true },
  usedHashes: { type: [String], default: [] },
  createdAt: { type: Date, required: true },
  expiresAt: { type: Date, required: true },
};

/** Rules are stored as their contract shape (condition as given, instants as ISO strings). */
const ruleFields = {
  id: { type: String, required: true },
  userId: { type: String, required: true },
  ticker: { type: String, required: true },
  condition: { type: Schema.Types.Mixed, required: true },
  frequency: { type: String, required: true },
  cooldownSeconds: { type: Number, required: true },
  hysteresisPercent: { type: Number, required: true },
  expiresAt: { type: String, default: null },
  paused: { type: Boolean, required: true },
  channels: { type: [String], required: true },
  version: { type: Number, required: true },
  createdAt: { type: String, required: true },
  updatedAt: { type: String, required: true },
  name: { type: String, default: null },
  thresholds: { type: Boolean, default: false },
};

const preferenceFields = {
  alertsUnsubscribed: { type: Boolean, required: true },
  webhookUrl: { type: String, default: null },
  // A secret: loaded only where an event must carry it (user-store.ts).
  webhookSecret: { type: String, default: null, select: false },
  maxAlertsPerHour: { type: Number, required: true },
  quietHours: { type: new Schema({ start: String, end: String }, { _id: false }), default: null },
  version: { type: Number, required: true },
};

const watchFields = { id: String, ticker: String, addedAt: Date };
const requestFields = { id: String, fingerprint: String, result: Schema.Types.Mixed, at: Date };
const nested = { _id: false, minimize: false };

const userFields = {
  _id: { type: String, required: true },
  email: { type: String },
  emailVerified: { type: Boolean, default: false },
  timeZone: { type: String },
  // Never loaded unless asked for (`.select('+passwordHash')`): login and deleteAccount only.
  passwordHash: { type: String, select: false },
  passwordVersion: { type: Number, default: 0 },
  pendingEmail: { type: String },
  preferences: { type: new Schema(preferenceFields, nested) },
  sessions: { type: [new Schema(sessionFields, nested)], default: [] },
  rules: { type: [new Schema(ruleFields, nested)], default: [] },
  watchlist: { type: [new Schema(watchFields, nested)], default: [] },
  requests: { type: [new Schema(requestFields, nested)], default: [] },
  version: { type: Number, required: true, default: 1 },
  createdAt: { type: Date, required: true },
  deletedAt: { type: Date },
};

const userSchema = new Schema<UserDocument>(userFields, {
  collection: 'users',
  versionKey: false,
  minimize: false,
});
userSchema.plugin(outboxPlugin);
// One owner per address; tombstones and accounts not verified yet have none, hence sparse.
userSchema.index({ email: 1 }, { unique: true, sparse: true });
// Login and the expiry of accounts never verified find addresses waiting for their link.
userSchema.index({ pendingEmail: 1 }, { sparse: true });
userSchema.index({ 'sessions.id': 1 }, { sparse: true });
userSchema.index({ deletedAt: 1 }, { sparse: true });

export type UserModel = Model<UserDocument>;

export function userModel(connection: Connection): UserModel {
  return (
    (connection.models.User as UserModel | undefined) ??
    connection.model<UserDocument>('User', userSchema)
  );
}
