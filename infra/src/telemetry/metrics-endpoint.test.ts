import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import {
  acceptsOpenMetrics,
  metricsHandler,
  OPENMETRICS_CONTENT_TYPE,
  openMetricsToPrometheus,
  PROMETHEUS_CONTENT_TYPE,
} from './metrics-endpoint.ts';
import { counter, createMetricsRegistry, defineMetrics, histogram } from './metrics.ts';

/** What Prometheus 2.x/3.x sends by default (scrape_protocols). */
const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0;q=0.5,application/openmetrics-text;version=0.0.1;q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2';

describe('/metrics', () => {
  it('negotiates OpenMetrics only when the Accept header asks for it', () => {
    expect(acceptsOpenMetrics(PROMETHEUS_ACCEPT)).to.equal(true);
    expect(acceptsOpenMetrics('application/openmetrics-text')).to.equal(true);
    expect(
      acceptsOpenMetrics('text/plain;version=0.0.4, application/openmetrics-text;q=0'),
    ).to.equal(false);
    expect(acceptsOpenMetrics('*/*')).to.equal(false);
    expect(acceptsOpenMetrics(undefined)).to.equal(false);
  });

  it('turns OpenMetrics into the Prometheus text format: counter names, no exemplars, no EOF', () => {
    const openMetrics = [
      '# HELP tickwatch_x_sent Emails sent',
      '# TYPE tickwatch_x_sent counter',
      'tickwatch_x_sent_total{outcome="sent"} 3',
      '# HELP tickwatch_x_send_duration_seconds Send time',
      '# TYPE tickwatch_x_send_duration_seconds histogram',
      'tickwatch_x_send_duration_seconds_bucket{le="0.1",note="a # {b} c"} 1 # {trace_id="0af7",span_id="b7ad"} 0.05 1700000000.1',
      'tickwatch_x_send_duration_seconds_bucket{le="+Inf",note="a # {b} c"} 1',
      'tickwatch_x_send_duration_seconds_sum{note="a # {b} c"} 0.05',
      'tickwatch_x_send_duration_seconds_count{note="a # {b} c"} 1',
      '# EOF',
      '',
    ].join('\n');
    expect(openMetricsToPrometheus(openMetrics)).to.equal(
      [
        '# HELP tickwatch_x_sent_total Emails sent',
        '# TYPE tickwatch_x_sent_total counter',
        'tickwatch_x_sent_total{outcome="sent"} 3',
        '# HELP tickwatch_x_send_duration_seconds Send time',
        '# TYPE tickwatch_x_send_duration_seconds histogram',
        'tickwatch_x_send_duration_seconds_bucket{le="0.1",note="a # {b} c"} 1',
        'tickwatch_x_send_duration_seconds_bucket{le="+Inf",note="a # {b} c"} 1',
        'tickwatch_x_send_duration_seconds_sum{note="a # {b} c"} 0.05',
        'tickwatch_x_send_duration_seconds_count{note="a # {b} c"} 1',
        '',
      ].join('\n'),
    );
  });

  describe('served over HTTP', () => {
    let server: Server;
    let url: string;
    before(async () => {
      const target = createMetricsRegistry();
      const metrics = defineMetrics(
        'test',
        {
          sent: counter({ name: 'sent_total', help: 'Sent' }),
          took: histogram({ name: 'took_seconds', help: 'Took', buckets: [1] }),
        },
        target,
      );
      metrics.sent.inc({});
      metrics.took.observe({}, 0.5);
      const handle = metricsHandler(target);
      server = createServer((request, response) => void handle(request, response));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    });
    after(() => {
      server.close();
    });

    it('answers Prometheus what it asks for (OpenMetrics, counters renamed by the format)', async () => {
      const response = await fetch(url, { headers: { accept: PROMETHEUS_ACCEPT } });
      expect(response.headers.get('content-type')).to.equal(OPENMETRICS_CONTENT_TYPE);
      const text = await response.text();
      expect(text).to.include('# TYPE tickwatch_test_sent counter\ntickwatch_test_sent_total 1\n');
      expect(text.endsWith('# EOF\n')).to.equal(true);
    });

    it('answers curl in the Prometheus text format', async () => {
      const response = await fetch(url);
      expect(response.headers.get('content-type')).to.equal(PROMETHEUS_CONTENT_TYPE);
      const text = await response.text();
      expect(text).to.include(
        '# TYPE tickwatch_test_sent_total counter\ntickwatch_test_sent_total 1\n',
      );
      expect(text).not.to.include('# EOF');
    });
  });
});
