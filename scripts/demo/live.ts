/**
 * The demo's live feeds: `priceUpdated` and `alertTriggered` over graphql-ws on the gateway's
 * /graphql (the same URL, ws: instead of http:), authenticated by the access token in
 * connection_init as any app would be.
 */
import { createClient, type Client } from 'graphql-ws';
import { LIVE_ALERTS, LIVE_PRICES, type Alert, type Quote } from './operations.ts';

export interface LiveFeeds {
  close(): Promise<void>;
}

export function subscribeLive(options: {
  readonly url: string;
  readonly accessToken: string;
  readonly tickers: readonly string[];
  readonly onPrice: (quote: Quote & { readonly ticker: string }) => void;
  readonly onAlert: (alert: Alert) => void;
  readonly onError: (error: unknown) => void;
}): LiveFeeds {
  const client: Client = createClient({
    url: options.url.replace(/^http/, 'ws'),
    connectionParams: { accessToken: options.accessToken },
    // A restarted gateway (npm start restarts a crashed one) is reconnected to.
    retryAttempts: 10,
  });
  const sink = <T>(next: (data: T) => void) => ({
    next: ({ data }: { data?: T | null }) => {
      if (data) next(data);
    },
    error: options.onError,
    complete: () => undefined,
  });
  const unsubscribers = [
    client.subscribe(
      { query: LIVE_PRICES, variables: { tickers: options.tickers } },
      sink<{ priceUpdated: Quote & { ticker: string } }>(({ priceUpdated }) => {
        options.onPrice(priceUpdated);
      }),
    ),
    client.subscribe(
      { query: LIVE_ALERTS },
      sink<{ alertTriggered: Alert }>(({ alertTriggered }) => {
        options.onAlert(alertTriggered);
      }),
    ),
  ];
  return {
    close: async () => {
      for (const unsubscribe of unsubscribers) unsubscribe();
      await client.dispose();
    },
  };
}
