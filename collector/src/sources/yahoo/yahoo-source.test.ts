import { install, type Clock } from '@sinonjs/fake-timers';
import { expect } from 'chai';
import { createLogger } from '@tickwatch/infra/log';
import { createYahooReplay, type YahooReplay } from '../../../test/yahoo-replay.ts';
import { createRequestGate } from './request-gate.ts';
import { createYahooSource } from './yahoo-source.ts';
import { parseRetryAfter, YahooHttpError } from './yahoo-http.ts';

const silent = createLogger({ name: 'test', level: 'silent' });
const signal = () => new AbortController().signal;

function source(replay: YahooReplay, requestsPerMinute = 600) {
  return createYahooSource({
    fetch: replay.fetch,
    requestsPerMinute,
    backoff: { initialMs: 1_000, maxMs: 60_000 },
    logger: silent,
    random: () => 0.5,
  });
}

/** The YahooHttpError `promise` rejects with. */
async function httpError(promise: Promise<unknown>): Promise<YahooHttpError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof YahooHttpError) return error;
    throw error;
  }
  expect.fail('expected a rejection');
}

describe('yahoo source (recorded responses)', () => {
  it('asks for a whole batch in one request, after the cookie and crumb handshake', async () => {
    const replay = createYahooReplay();
    const result = await source(replay).fetchBatch(
      ['AAPL', 'OCDO.L', 'BTC-USD', 'EURUSD=X'],
      signal(),
    );
    expect(replay.requests.map((request) => request.endpoint)).to.deep.equal([
      'page',
      'crumb',
      'quote',
    ]);
    expect(replay.quoteRequests()).to.deep.equal([['AAPL', 'OCDO.L', 'BTC-USD', 'EURUSD=X']]);
    const quote = replay.requests[2]!;
    expect(quote.url.searchParams.get('crumb')).to.equal('haT3oykhHqZ'); // the recorded crumb
    expect(quote.cookie).to.match(/A1=.*A3=.*A1S=/);
    expect(result.quotes.map((item) => item.ticker)).to.deep.equal([
      'AAPL',
      'OCDO.L',
      'BTC-USD',
      'EURUSD=X',
    ]);
    expect(result.quotes[0]).to.deep.include({
      price: 333.69,
      currency: 'USD',
      exchange: 'NMS',
      exchangeTimeZone: 'America/New_York',
      marketState: 'CLOSED',
      delayMinutes: 0,
    });
    expect(result.quotes[0]?.marketTime?.toISOString()).to.equal('2026-10-02T20:00:01.000Z');
    expect(result.rejected).to.deep.equal([]);
  });

  it('reports the symbols Yahoo leaves out of its answer as unknown', async () => {
    const replay = createYahooReplay();
    const result = await source(replay).fetchBatch(['AAPL', 'NOSUCH1', 'VWRL.L'], signal());
    expect(result.quotes.map((item) => item.ticker)).to.deep.equal(['AAPL', 'VWRL.L']);
    expect(result.rejected).to.deep.equal([
      {
        ticker: 'NOSUCH1',
        reason: 'UNKNOWN_SYMBOL',
        detail: 'Yahoo Finance returned no quote for NOSUCH1',
      },
    ]);
  });

  it('shakes hands again with a fresh cookie jar when Yahoo rejects the crumb (401), then retries', async () => {
    const replay = createYahooReplay();
    const yahoo = source(replay);
    await yahoo.fetchBatch(['AAPL'], signal());
    replay.failNext('quote', { status: 401 });
    const result = await yahoo.fetchBatch(['BTC-USD'], signal());
    expect(result.quotes.map((item) => item.ticker)).to.deep.equal(['BTC-USD']);
    const after = replay.requests.slice(3);
    expect(after.map((request) => request.endpoint)).to.deep.equal([
      'quote',
      'page',
      'crumb',
      'quote',
    ]);
    // A fresh jar: the quote page is asked without cookies, and the retry carries the new crumb.
    expect(after[1]?.cookie).to.equal(null);
    expect(after[3]?.url.searchParams.get('crumb')).to.equal('oXbUtz7LglG');
  });

  it('fails with a typed error when the crumb is refused twice in a row', async () => {
    const replay = createYahooReplay();
    replay.failNext('quote', { status: 401 }, 2);
    const error = await httpError(source(replay).fetchBatch(['AAPL'], signal()));
    expect(error.kind).to.equal('unauthorized');
  });

  it('fails with a rate-limited error on the recorded 429 of the crumb endpoint', async () => {
    const replay = createYahooReplay();
    replay.failNext('crumb', { status: 429 });
    const error = await httpError(source(replay).fetchBatch(['AAPL'], signal()));
    expect(error.kind).to.equal('rate-limited');
    expect(error.message).to.equal('Yahoo answered 429 Too Many Requests for /v1/test/getcrumb');
  });

  describe('pacing and back-off (fake timers)', () => {
    let clock: Clock;
    beforeEach(() => {
      clock = install({
        now: Date.parse('2026-10-02T15:00:00Z'),
        toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'],
      });
    });
    afterEach(() => {
      clock.uninstall();
    });

    /** Resolves `pace()` and tells, after `ms` of fake time, whether it went through. */
    async function pacedWithin(
      pace: () => Promise<void>,
      ms: number,
    ): Promise<{ done: () => boolean }> {
      let done = false;
      void pace().then(() => {
        done = true;
      });
      await clock.tickAsync(ms);
      return { done: () => done };
    }

    it('after a 429 waits the Retry-After before the next request, then resets on success', async () => {
      const replay = createYahooReplay();
      const yahoo = source(replay);
      await yahoo.pace();
      await yahoo.fetchBatch(['AAPL'], signal());
      replay.failNext('quote', { status: 429, retryAfter: '7' });
      await yahoo.pace();
      const error = await httpError(yahoo.fetchBatch(['AAPL'], signal()));
      expect(error.retryAfterMs).to.equal(7_000);

      const next = await pacedWithin(() => yahoo.pace(), 6_999);
      expect(next.done(), 'a request before Retry-After elapsed').to.equal(false);
      await clock.tickAsync(1);
      expect(next.done()).to.equal(true);
      await yahoo.fetchBatch(['AAPL'], signal());
      // The success reset the back-off: the next request goes out at once.
      expect((await pacedWithin(() => yahoo.pace(), 0)).done()).to.equal(true);
    });

    it('doubles the wait after each 5xx in a row, with jitter, capped, at least Retry-After', () => {
      const draws = [0, 0.999, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5];
      const gate = createRequestGate({
        requestsPerMinute: 600,
        backoff: { initialMs: 1_000, maxMs: 8_000 },
        random: () => draws.shift() ?? 0.5,
      });
      // Equal jitter: between half and all of 1, 2, 4, 8 s (capped at 8 s).
      expect(gate.failed(undefined)).to.equal(500);
      expect(gate.failed(undefined)).to.equal(1_999);
      expect(gate.failed(undefined)).to.equal(3_000);
      expect(gate.failed(undefined)).to.equal(6_000);
      expect(gate.failed(undefined)).to.equal(6_000);
      expect(gate.failed(30_000)).to.equal(30_000);
      gate.succeeded();
      expect(gate.failed(undefined)).to.equal(750);
    });

    it('waits out the back-off on a 503 before the next request', async () => {
      const replay = createYahooReplay();
      const yahoo = source(replay);
      replay.failNext('quote', { status: 503 });
      await yahoo.pace();
      expect((await httpError(yahoo.fetchBatch(['AAPL'], signal()))).kind).to.equal('server-error');
      const next = await pacedWithin(() => yahoo.pace(), 749);
      expect(next.done()).to.equal(false);
      await clock.tickAsync(1);
      expect(next.done()).to.equal(true);
    });

    it('paces requests with a token bucket: a burst of a tenth of the minute, then the rate', async () => {
      const gate = createRequestGate({
        requestsPerMinute: 60,
        backoff: { initialMs: 1_000, maxMs: 60_000 },
      });
      for (let burst = 0; burst < 6; burst++) await gate.pace();
      const seventh = await pacedWithin(() => gate.pace(), 900);
      expect(seventh.done()).to.equal(false);
      await clock.tickAsync(150);
      expect(seventh.done()).to.equal(true);
    });
  });

  it('reads Retry-After as seconds or as an HTTP date', () => {
    const now = Date.parse('2026-10-03T08:16:59Z');
    expect(parseRetryAfter('120', now)).to.equal(120_000);
    expect(parseRetryAfter('Sat, 03 Oct 2026 08:17:29 GMT', now)).to.equal(30_000);
    expect(parseRetryAfter(null, now)).to.equal(undefined);
    expect(parseRetryAfter('soon', now)).to.equal(undefined);
  });
});
