/** The GraphQL operations the demo sends (the gateway's schema: gateway/src/schema.graphql). */
export const PING = /* GraphQL */ `
  query Ping {
    ping {
      ready
      version
    }
  }
`;

export const REGISTER = /* GraphQL */ `
  mutation Register($email: String!, $password: String!) {
    register(email: $email, password: $password) {
      accessToken
      user {
        id
        email
        emailVerified
      }
    }
  }
`;

export interface Quote {
  readonly price: number;
  readonly currency: string;
  readonly marketTime: string;
}

export const QUOTES = /* GraphQL */ `
  query Quotes($tickers: [String!]!) {
    quotes(tickers: $tickers) {
      ticker
      status
      quote {
        price
        currency
        marketTime
      }
    }
  }
`;

export const CREATE_RULE = /* GraphQL */ `
  mutation CreateRule($input: AlertRuleInput!) {
    createAlertRule(input: $input) {
      id
      ticker
    }
  }
`;

export interface Alert {
  readonly id: string;
  readonly ruleId: string;
  readonly ticker: string;
  readonly price: number;
  readonly currency: string;
  readonly marketTime: string;
}

export const ALERTS = /* GraphQL */ `
  query Alerts {
    alerts(first: 50) {
      edges {
        node {
          id
          ruleId
          ticker
          price
          currency
          marketTime
        }
      }
    }
  }
`;

/** Which subscription fields the gateway offers (none until live subscriptions land). */
export const SUBSCRIPTION_FIELDS = /* GraphQL */ `
  query SubscriptionFields {
    __schema {
      subscriptionType {
        fields {
          name
        }
      }
    }
  }
`;
