# One image for every app; APP picks which one a container runs:
#
#   docker build -t runframe-ingest .
#   docker run -e APP=auth -e RUNFRAME_INTERNAL_TOKEN=… -e RUNFRAME_SECRET_KEY=… runframe-ingest
#
# It runs the production build (dist/<app>.js, made by `npm run build`) with
# plain node, as a non-root user (uid 1000), with only the bundles, the
# production node_modules and package.json in /app. Embedded mode keeps its
# SQLite file in /var/lib/runframe (RUNFRAME_DATA_DIR), the one directory
# that user may write; mount a volume there to keep it.
# tools/container/image.e2e.test.ts checks this file without a Docker engine.
#
# The base image is pinned to an exact release; to pin its digest too, use
#   docker buildx imagetools inspect node:20.20.2-bookworm-slim
# and write FROM node:20.20.2-bookworm-slim@sha256:<digest> in each stage.

# The workspace manifests alone, so the dependency layers below are rebuilt
# only when a package.json or the lock file changes, not on every edit.
FROM node:20.20.2-bookworm-slim AS manifests
WORKDIR /src
COPY apps ./apps
COPY libs ./libs
RUN find apps libs -type f ! -name package.json -delete

FROM node:20.20.2-bookworm-slim AS deps
# better-sqlite3 downloads a prebuilt binary where one exists and compiles
# itself otherwise; the compilers make the second case work too.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY package.json package-lock.json ./
COPY --from=manifests /src ./
# Install scripts only where package.json's allowScripts allows them.
RUN npm ci --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3

FROM deps AS build
COPY tsconfig.base.json tsconfig.json ./
COPY apps ./apps
COPY libs ./libs
COPY tools/build ./tools/build
COPY tools/container ./tools/container
RUN npm run build

# What the bundles import at run time: production dependencies only. Our
# own packages are inside the bundles, so their workspace links go.
FROM deps AS runtime-deps
RUN npm prune --omit=dev --ignore-scripts --no-audit --no-fund \
  && rm -rf node_modules/@runframe node_modules/.bin node_modules/.package-lock.json

FROM node:20.20.2-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0 RUNFRAME_DATA_DIR=/var/lib/runframe
WORKDIR /app
COPY package.json ./
COPY --from=runtime-deps /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
# uid 1000 is the image's `node` user; numeric so that Kubernetes can check
# runAsNonRoot. The files above stay root's: the app can read, not change them.
RUN mkdir -p /var/lib/runframe && chown 1000:1000 /var/lib/runframe
USER 1000:1000
# edge 3000; RPC (h2c) auth 7001, incident 7002, normalizers 7101-7106; and
# their admin ports (/healthz, /readyz, /metrics) at RPC port + 1000.
EXPOSE 3000 7001 7002 7101 7102 7103 7104 7105 7106 8001 8002 8101 8102 8103 8104 8105 8106
# /readyz of the app named by APP, on the port it chose (PORT, ADMIN_PORT).
HEALTHCHECK --interval=10s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "dist/healthcheck.js", "/readyz"]
# exec: node is PID 1 and gets SIGTERM itself, so it drains before exiting.
CMD ["/bin/sh", "-c", "exec node --enable-source-maps \"dist/${APP:?set APP to edge, auth, incident or normalizer-<provider>}.js\""]
