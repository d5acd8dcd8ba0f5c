# One image for the four services; compose and Kubernetes pick the entry point with `command`
# (e.g. `gateway/src/main.ts`). Every process starts through the telemetry bootstrap
# (infra/src/telemetry/launch.ts): tools too, `docker compose run gateway scripts/dlq.ts list`.
FROM node:24-slim
WORKDIR /app
ENV NODE_ENV=production
COPY package.json package-lock.json ./
COPY contracts/package.json contracts/
COPY infra/package.json infra/
COPY gateway/package.json gateway/
COPY collector/package.json collector/
COPY alerter/package.json alerter/
COPY notifier/package.json notifier/
# The image already has Node 24: production dependencies only, no install scripts.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund
COPY contracts contracts
COPY infra infra
COPY gateway gateway
COPY collector collector
COPY alerter alerter
COPY notifier notifier
# The gateway's GraphiQL page is bundled here (esbuild), not committed.
RUN node gateway/src/graphiql/build.ts
USER node
ENV OPS_HOST=0.0.0.0
ENTRYPOINT ["node", "--import=@tickwatch/infra/telemetry/register"]
CMD ["gateway/src/main.ts"]
