# syntax=docker/dockerfile:1
# trino-mcp over streamable HTTP. Build: docker build -t trino-mcp .
# Configuration comes only from the environment at run time (see the README's table);
# no secret is baked into the image.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json tsconfig.json tsconfig.build.json ./
# Scripts off: `prepare` would build before the sources are here.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY src ./src
# What `npm run build` runs besides tsc: the runtime check, and the step that bundles inversify.
COPY bin ./bin
COPY scripts/vendor.ts ./scripts/vendor.ts
RUN npm run build

FROM node:24-slim AS runtime
# glibc's allocator, tuned so that RSS comes back down after a peak (docs/reliability.md):
# MALLOC_ARENA_MAX=2, not an arena per thread that allocates (libuv's pool, V8's helpers);
# MALLOC_MMAP_THRESHOLD_=131072, so large buffers (request bodies, Trino pages) always go back
# to the system when freed, instead of the threshold rising after the first ones.
ENV NODE_ENV=production \
    MALLOC_ARENA_MAX=2 \
    MALLOC_MMAP_THRESHOLD_=131072 \
    MCP_TRANSPORT=http \
    MCP_HOST=0.0.0.0 \
    MCP_PORT=8080
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
# The image's unprivileged user "node", by number (Kubernetes runAsNonRoot checks a numeric uid); /app is not writable by it.
USER 1000:1000
EXPOSE 8080
# Liveness only: /healthz answers while the process serves (readiness, /readyz, also asks Trino).
HEALTHCHECK --interval=30s --timeout=5s --start-period=10s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MCP_PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
ENTRYPOINT ["node", "dist/app/main.js"]
