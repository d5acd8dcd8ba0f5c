/**
 * Each operation's context: who is calling (from the access token, verified without a database
 * round trip), from where, and the services resolvers use. Built the same way for an HTTP
 * request and a graphql-ws connection (the token in the `connection_init` payload).
 */
import { AccessTokenError, type AccessTokens, type Viewer } from '../auth/access-tokens.ts';
import type { LiveHub, LiveOperation } from '../live/live-hub.ts';
import type { ReadQueries } from '../read/read-queries.ts';
import type { HourlyLimit } from '../auth/hourly-limit.ts';
import type { Accounts } from '../users/accounts.ts';
import type { EmailFlows } from '../users/email-flows.ts';
import type { PasswordFlows } from '../users/password-flows.ts';
import type { UserDocument } from '../users/user-model.ts';
import type { UserStore } from '../users/user-store.ts';
import { unauthenticated } from './errors.ts';

export interface GatewayServices {
  readonly store: UserStore;
  readonly accounts: Accounts;
  readonly reads: ReadQueries;
  readonly emails: EmailFlows;
  readonly passwords: PasswordFlows;
  readonly testNotificationLimit: HourlyLimit;
  readonly ready: () => boolean;
  readonly version: string;
  readonly live: LiveHub;
}

export interface GatewayContext {
  readonly viewer: Viewer | null;
  /** Why there is no viewer although a token was sent (expired, forged...). */
  readonly authProblem: string | null;
  /** The client's address (express `req.ip`, honouring TRUST_PROXY). */
  readonly ip: string;
  readonly services: GatewayServices;
  /** The graphql-ws subscribe operation being served (none over HTTP). */
  readonly live?: LiveOperation;
}

/** Resolves the viewer of a bearer token; a bad token is not an error until a resolver needs one. */
export async function authenticate(
  tokens: AccessTokens,
  authorization: string | undefined,
): Promise<Pick<GatewayContext, 'viewer' | 'authProblem'>> {
  try {
    const token = tokens.fromHeader(authorization);
    if (!token) return { viewer: null, authProblem: null };
    return { viewer: await tokens.verify(token), authProblem: null };
  } catch (error) {
    if (error instanceof AccessTokenError) return { viewer: null, authProblem: error.message };
    throw error;
  }
}

export function requireViewer(context: GatewayContext): Viewer {
  if (!context.viewer)
    throw unauthenticated(context.authProblem ?? 'a valid access token is required');
  return context.viewer;
}

/** The caller's live account, whose session must still exist (logout ends access at once). */
export async function viewerUser(context: GatewayContext): Promise<UserDocument> {
  const viewer = requireViewer(context);
  const user = await context.services.store.load(viewer.userId);
  if (!user.sessions.some((session) => session.id === viewer.sessionId)) {
    throw unauthenticated('the session has ended: log in again');
  }
  return user;
}
