/**
 * The container health check (Dockerfile HEALTHCHECK): exit 0 when this container's service
 * answers 200 on /readyz, 1 otherwise. The port is the argument, or the one `<SERVICE>_OPS_PORT`
 * variable the deployment sets; the image has no curl, so Node asks.
 *
 *   node infra/src/healthcheck.ts [port]
 */
const ports = Object.entries(process.env).filter(([name]) => name.endsWith('_OPS_PORT'));
const port = process.argv[2] ?? (ports.length === 1 ? ports[0]?.[1] : undefined);
if (!port) {
  console.error('healthcheck: give the operations port, or set exactly one <SERVICE>_OPS_PORT');
  process.exit(2);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}/readyz`, {
    signal: AbortSignal.timeout(3_000),
  });
  if (!response.ok) console.error(`healthcheck: /readyz answered ${response.status}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`healthcheck: ${(error as Error).message}`);
  process.exit(1);
}
