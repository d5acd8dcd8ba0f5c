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

export const LIVE_PRICES = /* GraphQL */ `
  subscription LivePrices($tickers: [String!]!) {
    priceUpdated(tickers: $tickers) {
      ticker
      price
      currency
      marketTime
    }
  }
`;

export const LIVE_ALERTS = /* GraphQL */ `
  subscription LiveAlerts {
    alertTriggered {
      id
      ruleId
      ticker
      price
      currency
      marketTime
    }
  }
`;
