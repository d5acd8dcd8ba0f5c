/**
 * A `fetch` that answers yahoo-finance2 from the recorded fixtures (test/fixtures/yahoo, see its
 * README): the quote page sets cookies, the crumb endpoint returns a recorded crumb, the quote
 * endpoint answers any set of symbols from the per-symbol recordings. Tests queue failures
 * (`failNext`) and read what was asked (`requests`).
 */
import { readFileSync, readdirSync } from 'node:fs';

interface Recording {
  readonly request: { readonly url: string };
  readonly response: {
    readonly status: number;
    readonly statusText: string;
    readonly headers: Readonly<Record<string, string | readonly string[]>>;
    readonly bodyJson?: unknown;
    readonly bodyText?: string;
  };
}

interface QuoteAnswer {
  readonly quoteResponse: { readonly result: readonly { readonly symbol: string }[] };
}

const FIXTURES = new URL('./fixtures/yahoo/', import.meta.url);

function load(name: string): Recording {
  return JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Recording;
}

type RecordedQuote = QuoteAnswer['quoteResponse']['result'][number];

function quotesIn(file: string): readonly RecordedQuote[] {
  return (load(file).response.bodyJson as QuoteAnswer).quoteResponse.result;
}

/**
 * The recorded quote of each symbol. Sorted names put `quote-OCDO.L.2026-05-29-regular.json`
 * before `quote-OCDO.L.json`, so each symbol's plain (newest) recording wins.
 */
function recordedQuotes(): Map<string, RecordedQuote> {
  const quotes = new Map<string, RecordedQuote>();
  const files = readdirSync(FIXTURES).filter((file) => file.startsWith('quote-'));
  for (const file of files.sort())
    for (const quote of quotesIn(file)) quotes.set(quote.symbol, quote);
  return quotes;
}

/** Headers of a recording, minus what described the original gzipped body. */
function headersOf(recording: Recording): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(recording.response.headers)) {
    if (name === 'content-encoding' || name === 'content-length') continue;
    for (const item of typeof value === 'string' ? [value] : value) headers.append(name, item);
  }
  return headers;
}

function replay(recording: Recording, body?: unknown): Response {
  const content =
    body !== undefined
      ? JSON.stringify(body)
      : (recording.response.bodyText ?? JSON.stringify(recording.response.bodyJson));
  return new Response(content, {
    status: recording.response.status,
    statusText: recording.response.statusText,
    headers: headersOf(recording),
  });
}

/** The cookies the recorded quote page set (values made up, attributes as recorded). */
function quotePage(): Response {
  const expires = new Date(Date.now() + 365 * 24 * 3600 * 1000).toUTCString();
  const headers = new Headers({ 'content-type': 'text/html; charset=utf-8' });
  const attributes = `Expires=${expires}; Max-Age=31557600; Domain=.yahoo.com; Path=/; Secure`;
  headers.append('set-cookie', `A1=d=AQABBFAKE&S=AQAAAFAKE; ${attributes}; SameSite=Lax; HttpOnly`);
  headers.append(
    'set-cookie',
    `A3=d=AQABBFAKE&S=AQAAAFAKE; ${attributes}; SameSite=None; HttpOnly`,
  );
  headers.append('set-cookie', `A1S=d=AQABBFAKE&S=AQAAAFAKE; ${attributes}; SameSite=Lax`);
  return new Response('<html><body>quote page</body></html>', { status: 200, headers });
}

export type Endpoint = 'page' | 'crumb' | 'quote';

export interface FailureSpec {
  readonly status: number;
  readonly retryAfter?: string;
  readonly body?: string;
}

export interface RecordedRequest {
  readonly endpoint: Endpoint;
  readonly url: URL;
  readonly cookie: string | null;
  /** `Date.now()` when it was made (fake clocks included). */
  readonly at: number;
}

export interface YahooReplay {
  readonly fetch: (input: string | URL | Request, init?: RequestInit) => Promise<Response>;
  readonly requests: RecordedRequest[];
  /** The next `times` requests to `endpoint` fail with this answer. */
  failNext(endpoint: Endpoint, failure: FailureSpec, times?: number): void;
  /** Every request to `endpoint` fails from now on (until `recover`). */
  failAlways(endpoint: Endpoint, failure: FailureSpec): void;
  recover(): void;
  /** Requests whose symbols were asked for, each as its list. */
  quoteRequests(): string[][];
  /** Answer for the symbols of another recording from now on (e.g. the REGULAR session one). */
  serve(file: string): void;
}

/** The crumbs handed out in turn: the recorded US one, then the recorded NL one. */
const CRUMB_RECORDINGS = ['getCrumb-getcrumb.json', 'getCrumb-geo-nl-20260809-getcrumb.json'];

const STATUS_TEXT: Readonly<Record<number, string>> = {
  401: 'Unauthorized',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
};

export const INVALID_CRUMB = {
  finance: { result: null, error: { code: 'Unauthorized', description: 'Invalid Crumb' } },
};

export function createYahooReplay(): YahooReplay {
  const quotes = recordedQuotes();
  const quoteRecording = load('quote-AAPL.json');
  const tooMany = load('getCrumb-getcrumb.429.json');
  const requests: RecordedRequest[] = [];
  const queued = new Map<Endpoint, FailureSpec[]>();
  const always = new Map<Endpoint, FailureSpec>();
  let crumbsHandedOut = 0;

  const failure = (spec: FailureSpec): Response => {
    const headers = headersOf(tooMany);
    if (spec.retryAfter !== undefined) headers.set('retry-after', spec.retryAfter);
    if (spec.status === 401) headers.set('content-type', 'application/json;charset=utf-8');
    const body = spec.body ?? (spec.status === 401 ? JSON.stringify(INVALID_CRUMB) : 'Error\r\n');
    return new Response(body, {
      status: spec.status,
      statusText: STATUS_TEXT[spec.status],
      headers,
    });
  };

  const answer = (endpoint: Endpoint, url: URL): Response => {
    const next = queued.get(endpoint)?.shift() ?? always.get(endpoint);
    if (next) return failure(next);
    if (endpoint === 'page') return quotePage();
    if (endpoint === 'crumb') {
      const name = CRUMB_RECORDINGS[crumbsHandedOut++ % CRUMB_RECORDINGS.length] ?? '';
      return replay(load(name));
    }
    const symbols = (url.searchParams.get('symbols') ?? '').split(',');
    const result = symbols.flatMap((symbol) => {
      const quote = quotes.get(symbol);
      return quote ? [quote] : [];
    });
    return replay(quoteRecording, { quoteResponse: { result, error: null } });
  };

  const endpointOf = (url: URL): Endpoint => {
    if (url.hostname === 'finance.yahoo.com') return 'page';
    if (url.pathname === '/v1/test/getcrumb') return 'crumb';
    if (url.pathname === '/v7/finance/quote') return 'quote';
    throw new Error(`the Yahoo replay has no answer for ${url.href}`);
  };

  return {
    requests,
    fetch(input, init) {
      const url = new URL(input instanceof Request ? input.url : input);
      const endpoint = endpointOf(url);
      const headers = new Headers(init?.headers);
      requests.push({ endpoint, url, cookie: headers.get('cookie'), at: Date.now() });
      if (init?.signal?.aborted) return Promise.reject(init.signal.reason as Error);
      return Promise.resolve(answer(endpoint, url));
    },
    failNext(endpoint, spec, times = 1) {
      queued.set(endpoint, [
        ...(queued.get(endpoint) ?? []),
        ...Array<FailureSpec>(times).fill(spec),
      ]);
    },
    failAlways(endpoint, spec) {
      always.set(endpoint, spec);
    },
    recover() {
      always.clear();
      queued.clear();
    },
    serve(file) {
      for (const quote of quotesIn(file)) quotes.set(quote.symbol, quote);
    },
    quoteRequests: () =>
      requests
        .filter((request) => request.endpoint === 'quote')
        .map((request) => (request.url.searchParams.get('symbols') ?? '').split(',')),
  };
}
