# One image for the four services; compose and Kubernetes pick the entry point with `command`
# (e.g. `gateway/src/main.ts`). Every process starts through the telemetry bootstrap
# (infra/src/telemetry/launch.ts): tools too, `docker compose run gateway scripts/dlq.ts list`.
# Node runs the TypeScript sources directly (type stripping): there is no compile step.
ARG NODE_IMAGE=node:24.21.0-slim

# Production dependencies only, from the lock file, no install scripts (npm ci --omit=dev).
FROM ${NODE_IMAGE} AS dependencies
WORKDIR /app
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY infra/package.json infra/
COPY gateway/package.json gateway/
COPY collector/package.json collector/
COPY alerter/package.json alerter/
COPY notifier/package.json notifier/
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force

# The gateway's GraphiQL page, bundled with esbuild (gateway/src/graphiql/build.ts): only the
# bundle goes into the image. Its stamp matches the sources, so the gateway never rebuilds it.
FROM dependencies AS graphiql
COPY gateway gateway
RUN node gateway/src/graphiql/build.ts

FROM ${NODE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
# Containers serve /healthz, /readyz and /metrics to their network, not only to loopback.
ENV OPS_HOST=0.0.0.0
COPY --from=dependencies /app ./
COPY contracts contracts
COPY infra infra
COPY gateway gateway
COPY collector collector
COPY alerter alerter
COPY notifier notifier
COPY --from=graphiql /app/gateway/dist gateway/dist
# The image's own unprivileged user; the sources stay root-owned, read-only to it.
USER node
# Ready means broker and database connected (infra/src/service.ts); the deployment sets the
# service's <SERVICE>_OPS_PORT, which the check reads.
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "infra/src/healthcheck.ts"]
# Node is PID 1 and handles SIGTERM itself (runMain: drain, close, flush spans, exit 0).
STOPSIGNAL SIGTERM
ENTRYPOINT ["node", "--import=@tickwatch/infra/telemetry/register"]
CMD ["gateway/src/main.ts"]
