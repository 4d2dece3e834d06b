# syntax=docker/dockerfile:1
# The Flotilla agent: Node and one bundled file. No git, helm, Postgres or Redis client
# (it only talks to the hub and its cluster).
#
#   docker build -f docker/agent.Dockerfile -t flotilla-agent .
ARG NODE_VERSION=24.21.0
ARG DEBIAN=trixie

# --- compile TypeScript.
FROM node:${NODE_VERSION}-${DEBIAN}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY docker/tsconfig.image.json docker/
COPY prisma prisma
COPY apps apps
COPY libs libs
# The hub's Prisma client is part of the same compilation, so it is generated too (not shipped).
RUN DATABASE_URL=postgresql://build@127.0.0.1/build node node_modules/prisma/build/index.js generate \
 && node node_modules/typescript/bin/tsc -p docker/tsconfig.image.json

# --- one file: esbuild bundles what the agent reaches (apps/agent/bundle.ts, ADR 0004).
RUN node dist/apps/agent/bundle.js

# --- runtime: Node and the bundle, nothing else (no node_modules: idle RSS ~72 MiB).
FROM node:${NODE_VERSION}-${DEBIAN}-slim
WORKDIR /app
COPY --from=build /app/dist/apps/agent/flotilla-agent.mjs ./
ENV NODE_ENV=production HOME=/tmp
# Fails the build when the bundle does not parse.
RUN node --check flotilla-agent.mjs
# The `node` user of the base image, by number so runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
# A small young generation keeps the idle agent's memory down (as `npm run agent`).
ENTRYPOINT ["node", "--max-semi-space-size=1"]
CMD ["flotilla-agent.mjs"]
