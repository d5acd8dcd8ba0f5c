/** A minimal GraphQL-over-HTTP client for the demo: one POST, errors thrown with their codes. */
export class GraphQLRequestError extends Error {
  readonly codes: readonly string[];
  constructor(messages: readonly { message: string; extensions?: { code?: string } }[]) {
    super(messages.map((error) => error.message).join('; '));
    this.name = 'GraphQLRequestError';
    this.codes = messages.map((error) => error.extensions?.code ?? 'UNKNOWN');
  }
}

export interface GraphQLClient {
  request<T>(query: string, variables?: Record<string, unknown>): Promise<T>;
  /** A client that sends this access token. */
  withToken(token: string): GraphQLClient;
}

export function graphqlClient(url: string, token?: string): GraphQLClient {
  return {
    async request<T>(query: string, variables: Record<string, unknown> = {}): Promise<T> {
      const response = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(token ? { authorization: `Bearer ${token}` } : {}),
        },
        body: JSON.stringify({ query, variables }),
        signal: AbortSignal.timeout(10_000),
      });
      const body = (await response.json()) as {
        data?: T;
        errors?: { message: string; extensions?: { code?: string } }[];
      };
      if (body.errors?.length) throw new GraphQLRequestError(body.errors);
      if (!body.data) throw new Error(`${url} answered ${response.status} without data`);
      return body.data;
    },
    withToken: (newToken) => graphqlClient(url, newToken),
  };
}
