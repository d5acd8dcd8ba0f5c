/**
 * Every link an email carries, on the gateway's public URL (PUBLIC_BASE_URL): the one-click
 * unsubscribe link (a signed token the gateway verifies, RFC 8058 target too) and the "manage
 * this rule" link, which opens the gateway's GraphiQL with the rule query filled in.
 */
import { publicLinks, type LinkSigner } from '@tickwatch/infra/signed-links';

/** Unsubscribe links stay valid for a year: old emails keep working. */
export const UNSUBSCRIBE_TTL_SECONDS = 365 * 86_400;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The GraphQL query the "manage this rule" link opens in GraphiQL: the rule, its condition
 * with its thresholds, and the latest quote. Kept valid against gateway/src/schema.graphql by
 * links.test.ts.
 */
export function manageRuleQuery(ruleId: string): string {
  // Ids are UUIDs by schema; checked again because this one is written into a query.
  if (!UUID.test(ruleId)) throw new TypeError(`not a rule id: ${ruleId}`);
  return `query ManageRule {
  alertRule(id: "${ruleId}") {
    id
    ticker
    status
    paused
    frequency
    channels
    condition {
      type
      ... on AboveCondition { threshold }
      ... on BelowCondition { threshold }
      ... on OutsideRangeCondition { low high }
      ... on PercentChangeCondition { percent direction }
      ... on MovingAverageDeviationCondition { windowMinutes tolerancePercent }
      ... on AverageMoveCondition { windowMinutes tolerancePercent }
    }
    quote { price currency marketTime delayMinutes }
  }
}`;
}

export interface Links {
  /** `<base>/unsubscribe?token=<signed token for userId>` */
  unsubscribe(userId: string): Promise<string>;
  /** `<base>/graphql?query=<manageRuleQuery(ruleId)>` */
  manageRule(ruleId: string): string;
  /** The gateway's GraphiQL, where the user manages everything else. */
  home(): string;
}

export function createLinks(options: {
  readonly publicBaseUrl: string;
  readonly signer: LinkSigner;
}): Links {
  const at = publicLinks(options.publicBaseUrl);
  return {
    async unsubscribe(userId) {
      const token = await options.signer.sign('unsubscribe', userId, {
        ttlSeconds: UNSUBSCRIBE_TTL_SECONDS,
      });
      return at('unsubscribe', { token });
    },
    manageRule: (ruleId) => at('graphql', { query: manageRuleQuery(ruleId) }),
    home: () => at('graphql'),
  };
}
