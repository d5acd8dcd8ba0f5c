import { SpanStatusCode } from '@opentelemetry/api';
import { expect } from 'chai';
import { getTracer, withSpan } from './spans.ts';
import { startInMemoryTracing, type InMemoryTracing } from './testing/in-memory-tracing.ts';

class CodedError extends Error {
  readonly code = 'QUOTE_UNAVAILABLE';
}

describe('withSpan', () => {
  let tracing: InMemoryTracing;
  beforeEach(() => {
    tracing = startInMemoryTracing();
  });
  afterEach(() => tracing.stop());
  const tracer = () => getTracer('test');

  it('runs synchronous work in an active span and ends it', () => {
    const result = withSpan(tracer(), 'evaluate', { attributes: { 'tickwatch.rules': 3 } }, () =>
      withSpan(tracer(), 'inner', () => 42),
    );
    expect(result).to.equal(42);
    const [inner, outer] = tracing.spans();
    expect(outer?.name).to.equal('evaluate');
    expect(outer?.attributes).to.deep.equal({ 'tickwatch.rules': 3 });
    expect(inner?.parentSpanContext?.spanId).to.equal(outer?.spanContext().spanId);
    expect(outer?.instrumentationScope.name).to.equal('tickwatch.test');
    expect(outer?.status.code).to.equal(SpanStatusCode.UNSET);
  });

  it('ends the span only once the promise settles, children included', async () => {
    let release = () => {};
    const running = withSpan(tracer(), 'send email', async () => {
      await new Promise<void>((resolve) => (release = resolve));
      return withSpan(tracer(), 'smtp', () => 'sent');
    });
    expect(tracing.spans()).to.deep.equal([]);
    release();
    expect(await running).to.equal('sent');
    expect(tracing.spans().map((span) => span.name)).to.deep.equal(['smtp', 'send email']);
  });

  it('records a throw: exception event, ERROR status, error.type from the code, rethrown', () => {
    expect(() =>
      withSpan(tracer(), 'fetch quote', () => {
        throw new CodedError('Yahoo answered 503');
      }),
    ).to.throw(CodedError);
    const [span] = tracing.spans();
    expect(span?.status).to.deep.equal({
      code: SpanStatusCode.ERROR,
      message: 'Yahoo answered 503',
    });
    expect(span?.attributes['error.type']).to.equal('QUOTE_UNAVAILABLE');
    expect(span?.events.map((event) => event.name)).to.deep.equal(['exception']);
    expect(span?.endTime).to.not.deep.equal([0, 0]);
  });

  it('records a rejection the same way, with the class name when there is no code', async () => {
    let caught: unknown;
    await withSpan(tracer(), 'publish', () => Promise.reject(new TypeError('bad event'))).catch(
      (error: unknown) => (caught = error),
    );
    expect(caught).to.be.instanceOf(TypeError);
    const [span] = tracing.spans();
    expect(span?.status.code).to.equal(SpanStatusCode.ERROR);
    expect(span?.attributes['error.type']).to.equal('TypeError');
  });
});

describe('getTracer', () => {
  it('sends spans to the provider registered now, not the one registered when it was made', async () => {
    const kept = getTracer('module-constant');
    const first = startInMemoryTracing();
    withSpan(kept, 'under the first provider', () => undefined);
    const firstSpans = first.spans().map((span) => span.name);
    await first.stop();
    const second = startInMemoryTracing();
    try {
      withSpan(kept, 'under the second provider', () => undefined);
      expect(firstSpans).to.deep.equal(['under the first provider']);
      expect(second.spans().map((span) => span.name)).to.deep.equal(['under the second provider']);
    } finally {
      await second.stop();
    }
  });
});
