# One image for every app; APP picks which one a container runs:
#   docker build -t runframe-ingest . && docker run -e APP=auth … runframe-ingest
FROM node:20-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY apps ./apps
COPY libs ./libs
RUN find apps libs -type f ! -name package.json -delete && npm ci --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production HOST=0.0.0.0
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
USER node
CMD ["sh", "-c", "exec node --import tsx apps/${APP:?set APP to edge, auth, incident or normalizer-<provider>}/src/main.ts"]
