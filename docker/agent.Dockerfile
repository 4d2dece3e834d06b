# syntax=docker/dockerfile:1
# The Flotilla agent: Node, the compiled agent and the few packages it imports. No git,
# helm, Postgres or Redis client (it only talks to the hub and its cluster).
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

# --- the agent's runtime dependencies only: package.json cut down to the packages the agent
# imports, installed at the versions package-lock.json holds.
FROM node:${NODE_VERSION}-${DEBIAN}-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN node -e "\
const fs = require('node:fs'); \
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8')); \
const keep = ['@kubernetes/client-node', 'microdiff', 'p-limit', 'prom-client', 'zod']; \
pkg.dependencies = Object.fromEntries(keep.map((name) => [name, pkg.dependencies[name]])); \
delete pkg.devDependencies; delete pkg.scripts; delete pkg.bin; \
fs.writeFileSync('package.json', JSON.stringify(pkg, null, 2));"
RUN --mount=type=cache,target=/root/.npm npm install --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -f package-lock.json \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

# --- runtime.
FROM node:${NODE_VERSION}-${DEBIAN}-slim
WORKDIR /app
COPY --from=deps /app/package.json ./
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist/apps/agent dist/apps/agent
COPY --from=build /app/dist/libs dist/libs
ENV NODE_ENV=production HOME=/tmp
# Fails the build when a module the agent imports is missing from the cut-down dependencies.
RUN node --input-type=module -e "\
for (const m of ['agent', 'config', 'hub-client', 'log', 'metrics']) await import('./dist/apps/agent/src/' + m + '.js');"
# The `node` user of the base image, by number so runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
# A small young generation keeps the idle agent's memory down (as `npm run agent`).
ENTRYPOINT ["node", "--max-semi-space-size=1"]
CMD ["dist/apps/agent/src/main.js"]
