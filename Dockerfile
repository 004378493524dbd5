# One image for every Chat4All service and the migration job; docker-compose picks the entry point
# with `command`, e.g. ["npx", "tsx", "gateway/src/main.ts"] or ["npx", "tsx", "infra/src/migrate.ts"].
# Services run from TypeScript sources through tsx (as in development), so the image keeps the
# dev dependencies that provide it.

FROM node:20-bookworm-slim AS deps
WORKDIR /app
# Manifests first: this layer and `npm ci` are rebuilt only when a dependency changes, not on every edit.
COPY package.json package-lock.json ./
COPY common/package.json common/
COPY gateway/package.json gateway/
COPY subgraphs/users/package.json subgraphs/users/
COPY subgraphs/messages/package.json subgraphs/messages/
COPY subgraphs/files/package.json subgraphs/files/
COPY workers/router/package.json workers/router/
COPY connectors/whatsapp/package.json connectors/whatsapp/
COPY connectors/instagram/package.json connectors/instagram/
COPY infra/package.json infra/
COPY bench/package.json bench/
RUN npm ci --no-audit --no-fund

FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production
# The image refuses development secrets unless told otherwise: without this, a service started from it with no
# environment would run on the `local` profile's publicly known keys.
ENV CHAT4ALL_PROFILE=production
# common/src/service/node-flags.ts says why (test/node-flags.test.ts keeps the two equal); compose may override it.
ENV NODE_OPTIONS="--max-semi-space-size=32"
WORKDIR /app
# Same path as in the deps stage: the workspace links in node_modules/@chat4all are relative.
# The whole /app comes along so that any workspace-local node_modules do too.
COPY --from=deps /app ./
COPY . .
# Sources stay root-owned and read-only to the process; tsx caches under the system temp dir.
USER node
CMD ["node", "-e", "console.error('choose a service with the command, e.g. npx tsx gateway/src/main.ts'); process.exit(64)"]
