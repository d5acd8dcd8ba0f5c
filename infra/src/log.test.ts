import { Writable } from 'node:stream';
import { expect } from 'chai';
import { createLogger } from './log.ts';
import { instanceId } from './telemetry/instance.ts';
import { getTracer, withSpan } from './telemetry/spans.ts';
import { startInMemoryTracing } from './telemetry/testing/in-memory-tracing.ts';

/** A logger writing into an array; each line with its timestamp replaced by `T`. */
function capture() {
  const lines: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(
        chunk
          .toString()
          .replace(/"time":"[^"]+"/, '"time":"T"')
          .trimEnd(),
      );
      done();
    },
  });
  return { logger: createLogger({ name: 'notifier', level: 'info' }, destination), lines };
}

const head = () => `{"level":"info","time":"T","service":"notifier","instance":"${instanceId()}"`;

describe('logs', () => {
  it('redact secrets and personal data wherever they sit, keeping only email domains', () => {
    const { logger, lines } = capture();
    logger.info(
      {
        user: { email: 'alice@example.com', password: 'hunter2', name: 'Alice' },
        req: { headers: { authorization: 'Bearer eyJ', cookie: 'sid=1', host: 'localhost' } },
        token: 'eyJhbGciOi',
        delivery: { recipient: 'bob@mail.example.org', webhook: { webhookSecret: 's3cr3t' } },
        email: 'not an address',
      },
      'registered',
    );
    logger.child({ component: 'smtp' }).warn({ apiKey: 'k', refreshToken: 'r' }, 'retrying');
    expect(lines).to.deep.equal([
      `${head()},"user":{"email":"***@example.com","password":"[redacted]","name":"Alice"},` +
        `"req":{"headers":{"authorization":"[redacted]","cookie":"[redacted]","host":"localhost"}},` +
        `"token":"[redacted]","delivery":{"recipient":"***@mail.example.org","webhook":{"webhookSecret":"[redacted]"}},` +
        `"email":"[redacted]","msg":"registered"}`,
      `${head().replace('"info"', '"warn"')},"component":"smtp","apiKey":"[redacted]","refreshToken":"[redacted]","msg":"retrying"}`,
    ]);
  });

  describe('inside a span', () => {
    let tracing: ReturnType<typeof startInMemoryTracing>;
    beforeEach(() => {
      tracing = startInMemoryTracing();
    });
    afterEach(() => tracing.stop());

    it('carry its trace_id, span_id and trace_flags; outside they do not', () => {
      const { logger, lines } = capture();
      withSpan(getTracer('test'), 'send email', () => {
        logger.info({ attempt: 1 }, 'sending');
      });
      logger.info('idle');
      const { traceId, spanId } = tracing.spans()[0]!.spanContext();
      expect(lines).to.deep.equal([
        `${head()},"trace_id":"${traceId}","span_id":"${spanId}","trace_flags":"01","attempt":1,"msg":"sending"}`,
        `${head()},"msg":"idle"}`,
      ]);
    });
  });
});
