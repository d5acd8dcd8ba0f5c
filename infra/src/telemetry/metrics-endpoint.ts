/**
 * `GET /metrics`: the registry in OpenMetrics when the scraper asks for it (Prometheus does, and
 * only that format carries exemplars), else in the Prometheus text format (curl, older scrapers).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry } from 'prom-client';
import { processMetrics, type MetricsRegistry } from './metrics.ts';

export const PROMETHEUS_CONTENT_TYPE = Registry.PROMETHEUS_CONTENT_TYPE;
export const OPENMETRICS_CONTENT_TYPE = Registry.OPENMETRICS_CONTENT_TYPE;

/** True when the Accept header lists `application/openmetrics-text` with a non-zero q. */
export function acceptsOpenMetrics(accept: string | undefined): boolean {
  return (accept ?? '').split(',').some((range) => {
    const [type, ...parameters] = range.split(';').map((part) => part.trim().toLowerCase());
    const q = parameters.find((p) => p.startsWith('q='));
    return type === 'application/openmetrics-text' && (q === undefined || Number(q.slice(2)) > 0);
  });
}

export function metricsHandler(metrics: MetricsRegistry = processMetrics) {
  return async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const openMetrics = await metrics.registry.metrics();
    if (acceptsOpenMetrics(request.headers.accept)) {
      response.writeHead(200, { 'content-type': OPENMETRICS_CONTENT_TYPE }).end(openMetrics);
    } else {
      response
        .writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE })
        .end(openMetricsToPrometheus(openMetrics));
    }
  };
}

/**
 * The same samples in the Prometheus text format 0.0.4. prom-client renders one format per
 * registry (and renames counters for OpenMetrics), so the other is derived from its output:
 * counter families take their `_total` sample name, exemplars and `# EOF` are dropped.
 */
export function openMetricsToPrometheus(text: string): string {
  const lines = text.split('\n').filter((line) => line !== '' && line !== '# EOF');
  const counters = new Set(
    lines
      .filter((line) => line.startsWith('# TYPE ') && line.endsWith(' counter'))
      .map((line) => line.split(' ')[2]),
  );
  const out = lines.map((line) => {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) {
      const [hash, keyword, name = '', ...rest] = line.split(' ');
      return counters.has(name) ? [hash, keyword, `${name}_total`, ...rest].join(' ') : line;
    }
    return line.startsWith('#') ? line : withoutExemplar(line);
  });
  return `${out.join('\n')}\n`;
}

/** `name{a="x # y"} 3 # {trace_id="…"} 0.2 1700000000` → `name{a="x # y"} 3`. */
function withoutExemplar(sample: string): string {
  const labelsEnd = sample.includes('{') ? endOfLabels(sample, sample.indexOf('{')) : 0;
  const exemplar = sample.indexOf(' # ', labelsEnd);
  return exemplar < 0 ? sample : sample.slice(0, exemplar);
}

/** Index of the `}` closing the label set that opens at `open`, skipping quoted values. */
function endOfLabels(sample: string, open: number): number {
  let quoted = false;
  for (let i = open + 1; i < sample.length; i++) {
    const char = sample[i];
    if (quoted && char === '\\') i++;
    else if (char === '"') quoted = !quoted;
    else if (!quoted && char === '}') return i;
  }
  return sample.length;
}
