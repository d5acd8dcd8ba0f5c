/**
 * The example operations GraphiQL opens with (one tab each): what a new user does first.
 * Tokens go in the headers editor: `{"Authorization": "Bearer <accessToken>"}`.
 */
export interface Example {
  readonly query: string;
  readonly variables?: string;
}

const json = (value: unknown): string => JSON.stringify(value, null, 2);

export const EXAMPLES: readonly Example[] = [
  {
    query: `# 1. Create an account. Copy accessToken into the headers below:
#    {"Authorization": "Bearer <accessToken>"}
#    The verification email's link makes the address yours: alerts reach it from then on.
mutation Register($email: String!, $password: String!) {
  register(email: $email, password: $password, timeZone: "Europe/London") {
    accessToken
    accessTokenExpiresAt
    refreshToken
    user { id email }
  }
}`,
    variables: json({ email: 'ada@example.com', password: 'correct horse battery staple' }),
  },
  {
    query: `# 2. Log in (access tokens last 15 minutes; refreshToken trades for new ones).
mutation Login($email: String!, $password: String!) {
  login(email: $email, password: $password) {
    accessToken
    refreshToken
  }
}`,
    variables: json({ email: 'ada@example.com', password: 'correct horse battery staple' }),
  },
  {
    query: `# 3. The classic high/low thresholds: an email while AAPL is outside [180, 240].
mutation SetThresholds {
  setThresholds(ticker: "AAPL", low: 180, high: 240) {
    id
    ticker
    status
    condition { type ... on OutsideRangeCondition { low high } }
  }
}`,
  },
  {
    query: `# 4. Any condition: here, once, when NVDA rises above 150.
mutation CreateRule {
  createAlertRule(input: { ticker: "NVDA", condition: { above: { threshold: 150 } }, frequency: ONCE }) {
    id
    status
    version
  }
}`,
  },
  {
    query: `# 5. Latest quotes, from memory.
query Quotes {
  quotes(tickers: ["AAPL", "NVDA", "BRK-B"]) {
    ticker
    status
    quote { price currency marketState marketTime delayMinutes changePercent }
  }
}`,
  },
  {
    query: `# 6. Live prices over WebSocket (graphql-ws, same URL and token): each new quote
#    of these tickers as it is collected. Stop it with the stop button.
subscription Prices {
  priceUpdated(tickers: ["AAPL", "NVDA"]) {
    ticker
    price
    currency
    changePercent
    marketTime
  }
}`,
  },
  {
    query: `# 7. Your alerts as they fire, then what became of each delivery.
subscription MyAlerts {
  alertTriggered {
    id
    ticker
    price
    condition { type }
    triggeredAt
  }
}`,
  },
  {
    query: `# 8. Your deliveries (email, webhook) as they are sent, retried or fail.
subscription MyDeliveries {
  notificationUpdated {
    alertId
    channel
    status
    attempts
    code
  }
}`,
  },
  {
    query: `# 9. Quiet nights: alerts firing between 22:00 and 07:00 (your time zone) wait and
#    arrive as one digest at 07:00; account emails still come at once. null removes them.
mutation QuietHours {
  updatePreferences(input: { timeZone: "Europe/London", quietHours: { start: "22:00", end: "07:00" } }) {
    timeZone
    quietHours { start end }
  }
}`,
  },
];

export const DEFAULT_HEADERS = json({ Authorization: 'Bearer <paste accessToken here>' });
