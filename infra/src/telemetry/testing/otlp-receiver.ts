/**
 * An OTLP/HTTP trace receiver for tests: a real HTTP server on 127.0.0.1 that accepts what the
 * SDK exports with OTEL_EXPORTER_OTLP_PROTOCOL=http/json and keeps every span, flattened.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export type AttributeValue = string | number | boolean | undefined;

export interface ReceivedSpan {
  readonly traceId: string;
  readonly spanId: string;
  /** Empty for a root span. */
  readonly parentSpanId: string;
  readonly name: string;
  /** OTLP numbering: 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  readonly kind: number;
  readonly attributes: Readonly<Record<string, AttributeValue>>;
  readonly resource: Readonly<Record<string, AttributeValue>>;
  readonly scope: string;
  /** 0 unset, 1 ok, 2 error. */
  readonly status: number;
  /** Span contexts this span links to (a batch's messages), as `<traceId>/<spanId>`. */
  readonly links: readonly string[];
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the SDK appends /v1/traces). */
  readonly endpoint: string;
  spans(): readonly ReceivedSpan[];
  close(): Promise<void>;
}

interface OtlpKeyValue {
  key: string;
  value: Record<string, unknown>;
}
interface OtlpExport {
  resourceSpans?: {
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: {
      scope?: { name?: string };
      spans?: {
        traceId: string;
        spanId: string;
        parentSpanId?: string;
        name: string;
        kind: number;
        attributes?: OtlpKeyValue[];
        status?: { code?: number };
        links?: { traceId: string; spanId: string }[];
      }[];
    }[];
  }[];
}

function attributes(list: OtlpKeyValue[] | undefined): Record<string, AttributeValue> {
  const result: Record<string, AttributeValue> = {};
  for (const { key, value } of list ?? []) {
    const raw = value.stringValue ?? value.intValue ?? value.doubleValue ?? value.boolValue;
    result[key] =
      typeof raw === 'string' && 'intValue' in value ? Number(raw) : (raw as AttributeValue);
  }
  return result;
}

async function body(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const received: ReceivedSpan[] = [];
  const server = createServer((request, response) => {
    void body(request).then((text) => {
      if (request.method !== 'POST' || request.url !== '/v1/traces') {
        response.writeHead(404).end();
        return;
      }
      let payload: OtlpExport;
      try {
        payload = JSON.parse(text) as OtlpExport;
      } catch {
        // Protobuf, most likely: the exporting process needs OTEL_EXPORTER_OTLP_PROTOCOL=http/json.
        response.writeHead(415).end();
        return;
      }
      for (const resourceSpans of payload.resourceSpans ?? []) {
        const resource = attributes(resourceSpans.resource?.attributes);
        for (const scopeSpans of resourceSpans.scopeSpans ?? []) {
          for (const span of scopeSpans.spans ?? []) {
            received.push({
              traceId: span.traceId,
              spanId: span.spanId,
              parentSpanId: span.parentSpanId ?? '',
              name: span.name,
              kind: span.kind,
              attributes: attributes(span.attributes),
              resource,
              scope: scopeSpans.scope?.name ?? '',
              status: span.status?.code ?? 0,
              links: (span.links ?? []).map((link) => `${link.traceId}/${link.spanId}`),
            });
          }
        }
      }
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans: () => [...received],
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
}
