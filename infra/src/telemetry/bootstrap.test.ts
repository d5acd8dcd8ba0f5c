import { expect } from 'chai';
import { launchService, logLines } from '../testing/entry-point.ts';
import { pollUntil } from '../testing/poll-until.ts';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './testing/index.ts';
import { version } from './version.ts';

const SERVICE = new URL('./testing/traced-service.ts', import.meta.url);
const SERVER = 2;
const CLIENT = 3;

/** Runs the traced service like any entry point, GETs `paths`, stops it with SIGTERM. */
async function runService(env: Record<string, string>, paths: readonly string[]) {
  const { child, exited, output } = launchService(SERVICE, { LOG_LEVEL: 'info', ...env });
  const lines = () => logLines(output().stdout);
  try {
    // Loading the OpenTelemetry SDK takes seconds when the machine is busy.
    const started = await pollUntil(
      'the "started" line',
      () => lines().find((line) => line.msg === 'started'),
      { timeoutMs: 20_000 },
    );
    const answers: string[] = [];
    for (const path of paths) {
      answers.push(await (await fetch(`http://127.0.0.1:${String(started.port)}${path}`)).text());
    }
    child.kill('SIGTERM');
    expect((await exited).code, output().stderr).to.equal(0);
    return { answers, lines: lines() };
  } finally {
    child.kill('SIGKILL');
  }
}

describe('telemetry bootstrap (node --import, a real child process)', function () {
  this.timeout(30_000);
  let receiver: OtlpReceiver;
  beforeEach(async () => {
    receiver = await startOtlpReceiver();
  });
  afterEach(() => receiver.close());

  const exportTo = (receiver: OtlpReceiver) => ({
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint,
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    // Longer than the test: the spans can only arrive through the flush on SIGTERM.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  });

  it('patches what the service imports (http, fetch, mongodb) and flushes the spans on SIGTERM', async () => {
    const { answers, lines } = await runService(exportTo(receiver), ['/relay', '/mongo']);
    expect(answers).to.deep.equal(['echo', '1']);
    const spans = receiver.spans();
    const byId = new Map(spans.map((span) => [span.spanId, span]));
    const parentOf = (span: ReceivedSpan) => byId.get(span.parentSpanId);

    // GET /relay (server) → fetch /echo (undici client) → GET /echo (server), one trace.
    const fetchSpan = spans.find((span) => span.scope.endsWith('instrumentation-undici'));
    expect(fetchSpan?.kind).to.equal(CLIENT);
    const relay = parentOf(fetchSpan!);
    expect(relay).to.include({ kind: SERVER, parentSpanId: '' });
    expect(relay?.attributes['url.path']).to.equal('/relay');
    const echo = spans.find((span) => span.parentSpanId === fetchSpan!.spanId);
    expect(echo).to.include({ kind: SERVER, traceId: relay!.traceId });
    expect(echo?.attributes['url.path']).to.equal('/echo');

    // The driver (CommonJS, imported from ESM) is patched: its commands are children of GET /mongo.
    const commands = spans.filter((span) => span.scope.endsWith('instrumentation-mongodb'));
    expect(commands.map((span) => span.name)).to.include('insert quotes');
    for (const command of commands) {
      expect(command.kind).to.equal(CLIENT);
      expect(parentOf(command)?.attributes['url.path']).to.equal('/mongo');
    }

    // Health checks and scrapes make no spans; the resource names this process.
    expect(spans.map((span) => span.attributes['url.path'])).not.to.include('/readyz');
    const started = lines.find((line) => line.msg === 'started')!;
    for (const span of spans) {
      expect(span.resource).to.include({
        'service.name': 'traced-service',
        'service.version': version,
        'service.instance.id': started.instance,
      });
    }

    // The log line written while handling /echo carries that span's ids.
    const echoing = lines.find((line) => line.msg === 'echoing');
    expect(echoing).to.include({
      trace_id: echo!.traceId,
      span_id: echo!.spanId,
      trace_flags: '01',
      service: 'traced-service',
      instance: started.instance,
    });
  });

  it('honours OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (the instance id too)', async () => {
    const { lines } = await runService(
      {
        ...exportTo(receiver),
        OTEL_SERVICE_NAME: 'renamed',
        OTEL_RESOURCE_ATTRIBUTES: 'service.instance.id=pod-7,deployment.environment.name=test',
      },
      ['/relay'],
    );
    expect(lines.find((line) => line.msg === 'started')).to.include({ instance: 'pod-7' });
    expect(receiver.spans()).to.have.length.greaterThan(0);
    for (const span of receiver.spans()) {
      expect(span.resource).to.include({
        'service.name': 'renamed',
        'service.instance.id': 'pod-7',
        'deployment.environment.name': 'test',
      });
    }
  });

  it('logs a failed export as a telemetry error and still stops cleanly', async () => {
    const unreachable = await startOtlpReceiver();
    await unreachable.close();
    const { lines } = await runService(
      { ...exportTo(unreachable), OTEL_EXPORTER_OTLP_TIMEOUT: '500' },
      ['/relay'],
    );
    const failure = lines.find((line) => line.component === 'telemetry');
    expect(failure).to.include({ level: 'error', service: 'traced-service' });
    expect((failure?.err as { message?: string } | undefined)?.message).to.match(/ECONNREFUSED/);
  });

  const untraced = [
    { when: 'no endpoint is configured', env: () => ({}) },
    {
      when: 'OTEL_SDK_DISABLED=true, endpoint or not',
      env: () => ({ ...exportTo(receiver), OTEL_SDK_DISABLED: 'true' }),
    },
    {
      when: 'OTEL_TRACES_EXPORTER=none',
      env: () => ({ ...exportTo(receiver), OTEL_TRACES_EXPORTER: 'none' }),
    },
  ];
  for (const { when, env } of untraced) {
    it(`starts no SDK when ${when}: no spans, no trace ids in logs`, async () => {
      const { answers, lines } = await runService(env(), ['/relay']);
      expect(answers).to.deep.equal(['echo']);
      expect(receiver.spans()).to.deep.equal([]);
      expect(lines.find((line) => line.msg === 'echoing')).not.to.have.property('trace_id');
    });
  }
});
