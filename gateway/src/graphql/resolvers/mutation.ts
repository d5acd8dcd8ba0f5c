/**
 * Mutation resolvers: the command side. Each runs a pure decision (users/*-commands.ts)
 * through the user store (one write: change, events, request id), as the caller.
 */
import type { Channel } from '@tickwatch/contracts';
import { currentTraceContext } from '@tickwatch/infra/telemetry';
import type { AlertRuleInput } from '../../users/rule-input.ts';
import * as rules from '../../users/rule-commands.ts';
import * as watches from '../../users/watch-commands.ts';
import * as preferences from '../../users/preference-commands.ts';
import type { Session } from '../../users/accounts.ts';
import type { Decision } from '../../users/user-store.ts';
import type { StoredRule, UserDocument } from '../../users/user-model.ts';
import { requireViewer, viewerUser, type GatewayContext } from '../context.ts';
import { ruleViews, userView } from './views.ts';

type Args<T> = (parent: unknown, args: T, context: GatewayContext) => unknown;

function session(value: Session) {
  return { ...value, user: userView(value.user) };
}

/** Runs a command as the caller; `args` (with the operation) fingerprint the request id. */
async function command<R>(
  context: GatewayContext,
  operation: string,
  args: { requestId?: string | null } & Record<string, unknown>,
  decide: (user: UserDocument) => Decision<R>,
): Promise<R> {
  const user = await viewerUser(context);
  const { requestId, ...rest } = args;
  return context.services.store.run(
    {
      userId: user._id,
      operation,
      args: rest,
      requestId,
      trace: currentTraceContext(),
      loaded: user,
    },
    decide,
  );
}

async function ruleCommand(
  context: GatewayContext,
  operation: string,
  args: { requestId?: string | null } & Record<string, unknown>,
  decide: (user: UserDocument) => Decision<StoredRule>,
) {
  const rule = await command(context, operation, args, decide);
  const [view] = await ruleViews(context.services.reads, rule.userId, [rule]);
  return view;
}

interface RuleArgs extends Record<string, unknown> {
  id: string;
  requestId?: string | null;
}

const register: Args<{ email: string; password: string; timeZone: string }> = async (
  _,
  args,
  context,
) =>
  session(
    await context.services.accounts.register({
      ...args,
      ip: context.ip,
      trace: currentTraceContext(),
    }),
  );

const login: Args<{ email: string; password: string }> = async (_, args, context) =>
  session(await context.services.accounts.login({ ...args, ip: context.ip }));

const refreshToken: Args<{ refreshToken: string }> = async (_, args, context) =>
  session(await context.services.accounts.refresh(args.refreshToken));

const logout: Args<{ refreshToken: string }> = (_, args, context) =>
  context.services.accounts.logout(args.refreshToken);

const verifyEmail: Args<{ token: string }> = async (_, { token }, context) => {
  await context.services.emails.verifyEmail(token, currentTraceContext());
  return true;
};

const resendVerificationEmail: Args<object> = async (_, __, context) => {
  const user = await viewerUser(context);
  await context.services.emails.resendVerification(user._id, currentTraceContext());
  return true;
};

const requestPasswordReset: Args<{ email: string }> = async (_, { email }, context) => {
  await context.services.passwords.requestPasswordReset({
    email,
    ip: context.ip,
    trace: currentTraceContext(),
  });
  return true;
};

const resetPassword: Args<{ token: string; newPassword: string }> = async (_, args, context) => {
  await context.services.passwords.resetPassword(args);
  return true;
};

const changePassword: Args<{ currentPassword: string; newPassword: string }> = async (
  _,
  args,
  context,
) => {
  const user = await viewerUser(context);
  await context.services.passwords.changePassword({
    ...args,
    userId: user._id,
    sessionId: requireViewer(context).sessionId,
    ip: context.ip,
  });
  return true;
};

const changeEmail: Args<{ newEmail: string; password: string }> = async (_, args, context) => {
  const user = await viewerUser(context);
  await context.services.emails.requestEmailChange({
    ...args,
    userId: user._id,
    ip: context.ip,
    trace: currentTraceContext(),
  });
  return userView(await viewerUser(context));
};

const confirmEmailChange: Args<{ token: string }> = async (_, { token }, context) => {
  await context.services.emails.confirmEmailChange(token, currentTraceContext());
  return true;
};

const updatePreferences: Args<{
  input: Parameters<typeof preferences.updatePreferences>[1];
}> = async (_, { input }, context) => {
  await command(context, 'updatePreferences', {}, (user) =>
    preferences.updatePreferences(user, input),
  );
  return userView(await viewerUser(context));
};

const createAlertRule: Args<{ input: AlertRuleInput; requestId?: string | null }> = (
  _,
  args,
  context,
) => ruleCommand(context, 'createAlertRule', args, (user) => rules.createRule(user, args.input));

const updateAlertRule: Args<RuleArgs & { input: AlertRuleInput; expectedVersion: number }> = (
  _,
  args,
  context,
) =>
  ruleCommand(context, 'updateAlertRule', args, (user) =>
    rules.updateRule(user, args.id, args.input, args.expectedVersion),
  );

const deleteAlertRule: Args<RuleArgs> = (_, args, context) =>
  command(context, 'deleteAlertRule', args, (user) => rules.deleteRule(user, args.id));

const pauseAlertRule: Args<RuleArgs> = (_, args, context) =>
  ruleCommand(context, 'pauseAlertRule', args, (user) => rules.setPaused(user, args.id, true));

const resumeAlertRule: Args<RuleArgs> = (_, args, context) =>
  ruleCommand(context, 'resumeAlertRule', args, (user) => rules.setPaused(user, args.id, false));

const setThresholds: Args<{
  ticker: string;
  low: number;
  high: number;
  requestId?: string | null;
}> = (_, args, context) =>
  ruleCommand(context, 'setThresholds', args, (user) =>
    rules.setThresholds(user, args.ticker, args.low, args.high),
  );

const watchTicker: Args<{ ticker: string; requestId?: string | null }> = (_, args, context) =>
  command(context, 'watchTicker', args, (user) => watches.watchTicker(user, args.ticker));

const unwatchTicker: Args<{ ticker: string; requestId?: string | null }> = (_, args, context) =>
  command(context, 'unwatchTicker', args, (user) => watches.unwatchTicker(user, args.ticker));

const sendTestNotification: Args<{
  channels?: Channel[] | null;
  requestId?: string | null;
}> = async (_, args, context) => {
  const user = await viewerUser(context);
  await context.services.testNotificationLimit(user._id);
  return command(context, 'sendTestNotification', args, (current) =>
    preferences.requestTestNotification(current, args.channels),
  );
};

/** Webhook answers carry the secret once; never stored as a request answer (no requestId). */
async function webhookCommand(
  context: GatewayContext,
  decide: (user: UserDocument) => Decision<preferences.WebhookAnswer>,
) {
  const answer = await command(context, 'webhook', {}, decide);
  return { ...answer, user: userView(await viewerUser(context)) };
}

const setWebhook: Args<{ url: string }> = (_, { url }, context) =>
  webhookCommand(context, (user) => preferences.setWebhook(user, url));

const rotateWebhookSecret: Args<object> = (_, __, context) =>
  webhookCommand(context, preferences.rotateWebhookSecret);

const clearWebhook: Args<object> = async (_, __, context) => {
  await command(context, 'clearWebhook', {}, (user) => preferences.clearWebhook(user));
  return userView(await viewerUser(context));
};

const deleteAccount: Args<{ password: string }> = async (_, { password }, context) => {
  const user = await viewerUser(context);
  await context.services.accounts.deleteAccount({
    userId: user._id,
    password,
    ip: context.ip,
    trace: currentTraceContext(),
  });
  return true;
};

export const mutationResolvers = {
  register,
  login,
  refreshToken,
  logout,
  verifyEmail,
  resendVerificationEmail,
  requestPasswordReset,
  resetPassword,
  changePassword,
  changeEmail,
  confirmEmailChange,
  updatePreferences,
  createAlertRule,
  updateAlertRule,
  deleteAlertRule,
  pauseAlertRule,
  resumeAlertRule,
  setThresholds,
  watchTicker,
  unwatchTicker,
  sendTestNotification,
  setWebhook,
  rotateWebhookSecret,
  clearWebhook,
  deleteAccount,
};
