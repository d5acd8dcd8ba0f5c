/**
 * An OTLP/HTTP trace receiver in its own process, for benchmarks: a collector never runs in
 * the traced service's process, and one that parses spans on the bench's own thread would
 * count its work as the cost of tracing. It answers what the SDK exports (`http/protobuf`, the
 * services' default, or `http/json`) and counts the spans, so that a run can prove every span
 * it made was exported: a dropped span would make tracing look cheaper than it is.
 *
 *   const sink = await startOtlpSink();   // OTEL_EXPORTER_OTLP_ENDPOINT = sink.endpoint
 *   ...
 *   await sink.spans();                   // spans received so far
 *   await sink.close();
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { countProtobufSpans } from './otlp-span-count.ts';

export interface OtlpSink {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (the SDK appends /v1/traces). */
  readonly endpoint: string;
  /** Spans received so far, across every export. */
  spans(): Promise<number>;
  /** This process's CPU time, µs: what a collector on another machine would spend. */
  cpuMicros(): Promise<number>;
  close(): Promise<void>;
}

type Reply = { spans: number; cpuMicros: number };

export async function startOtlpSink(): Promise<OtlpSink> {
  // No execArgv: a `--cpu-prof` of the bench must not profile (and slow) the receiver too.
  const child = fork(import.meta.filename, ['--serve'], {
    execArgv: [],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const [endpoint] = (await once(child, 'message')) as [string];
  const ask = async (): Promise<Reply> => {
    child.send('count');
    const [reply] = (await once(child, 'message')) as [Reply];
    return reply;
  };
  return {
    endpoint,
    spans: async () => (await ask()).spans,
    cpuMicros: async () => (await ask()).cpuMicros,
    close: async () => {
      child.disconnect();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}

/** The child: counts spans, answers `count` over IPC, exits when the parent disconnects. */
async function serve(): Promise<void> {
  let spans = 0;
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const json = request.headers['content-type']?.startsWith('application/json') ?? false;
      spans += json ? countJsonSpans(body) : countProtobufSpans(body);
      // An empty ExportTraceServiceResponse: `{}` in JSON, no bytes in protobuf.
      response.writeHead(200, {
        'content-type': json ? 'application/json' : 'application/x-protobuf',
      });
      response.end(json ? '{}' : undefined);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  process.send?.(`http://127.0.0.1:${port}`);
  process.on('message', () => {
    const cpu = process.cpuUsage();
    process.send?.({ spans, cpuMicros: cpu.user + cpu.system } satisfies Reply);
  });
  process.on('disconnect', () => {
    server.closeAllConnections();
    server.close();
  });
}

interface JsonExport {
  resourceSpans?: { scopeSpans?: { spans?: unknown[] }[] }[];
}

function countJsonSpans(body: Buffer): number {
  const payload = JSON.parse(body.toString('utf8')) as JsonExport;
  let count = 0;
  for (const resource of payload.resourceSpans ?? []) {
    for (const scope of resource.scopeSpans ?? []) count += scope.spans?.length ?? 0;
  }
  return count;
}

if (process.argv.includes('--serve')) await serve();
