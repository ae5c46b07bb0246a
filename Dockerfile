# carbon-poller container image.
#
#   docker build -t carbon-api:latest .
#   docker run -e ELECTRICITY_MAPS_API_KEY="your-key" carbon-api:latest
#
# Two stages:
#   build    full install from the lockfile (npm ci) and esbuild bundle (npm run build): dist/main.js
#            with every production dependency inlined and tree-shaken, plus its source map (and
#            dist/main.js.LEGAL.txt when a dependency carries legal comments)
#   runtime  slim Node LTS image + package.json + dist/, numeric non-root user, no node_modules
#
# .ci/production-run.sh repeats these steps outside Docker (there is no Docker engine in CI) and runs
# the result against the built-in Electricity Maps simulator; keep the two in step.

# Node 24 is the active LTS line (maintained until April 2028); Node 20 is end of life.
# bookworm-slim (Debian 12, glibc) rather than alpine: Node's musl builds are "experimental" tier, and
# the build stage installs prebuilt native packages from the lockfile (esbuild, @parcel/watcher,
# msgpackr-extract) that are primarily tested on glibc. For a reproducible release build, pin the
# digest as well, e.g.
#   --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
# Manifests first: the dependency layer is reused as long as the lockfile does not change.
COPY package.json package-lock.json ./
# npm ci installs exactly what package-lock.json says and fails if it disagrees with package.json.
# The full install (dev dependencies included): esbuild is a dev dependency.
RUN npm ci --no-audit --no-fund
# tsconfig.json: esbuild reads its TypeScript settings (e.g. verbatimModuleSyntax). No type-check
# here (CI runs `npm run typecheck`); the bundle is what ships.
COPY tsconfig.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# Re-declared so the global value is visible in this stage (for the base.name label).
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="carbon-poller" \
      org.opencontainers.image.description="Polls Electricity Maps for the carbon intensity of grid zones, ranks them and atomically writes a JSON cache for schedulers." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${NODE_IMAGE}"

# Production mode; the cache path the Go scheduler reads (same default as the service itself).
# A heap ceiling and a small young generation make V8 collect before garbage piles up: 111 MiB RSS
# after 100 polls of 400 zones instead of 201 MiB with V8's defaults (npm run bench), while the heap
# left after a collection is ~25 MiB either way, so 64 MiB leaves ample room.
ENV NODE_ENV=production \
    CACHE_FILE=/cache/carbon_cache.json \
    NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=1"

# Dedicated unprivileged user 10001 (not 1000, which often collides with a real user on the host
# when bind-mounting). k8s.yaml runs the pod with the same runAsUser/fsGroup.
# /cache is created here and owned by that user so that a plain `docker run` without a volume can
# write the cache; in Kubernetes an emptyDir is mounted over it.
RUN groupadd --system --gid 10001 carbon \
 && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent \
            --shell /usr/sbin/nologin carbon \
 && mkdir -p /cache \
 && chown 10001:10001 /cache \
 && chmod 0755 /cache

WORKDIR /app
# No node_modules and no npm step here: the bundle *is* the production dependency set (effect,
# @effect/platform, @effect/platform-node inlined by esbuild and tree-shaken), so "production
# dependencies only" holds with nothing else to install. No dev package, npm cache or install script
# reaches this image.
# package.json is needed at runtime: its "type": "module" makes dist/main.js load as an ES module.
# dist/ holds main.js, main.js.map and, if emitted, main.js.LEGAL.txt (the dependencies' licence notices).
# Everything is owned by root and read-only for the service user: it can write only /cache.
COPY package.json ./
COPY --from=build /app/dist ./dist

USER 10001:10001

# HTTP_PORT default: /healthz, /readyz, /metrics, /cache.
EXPOSE 9477

# Docker-only health check (Kubernetes ignores it and uses the probes in k8s.yaml). No curl/wget in
# the image: Node's own fetch. Follows HTTP_PORT; with HTTP_PORT=0 (server disabled) it reports healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=process.env.HTTP_PORT||'9477';if(p==='0')process.exit(0);fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form, node itself as PID 1: SIGTERM from `docker stop` / the kubelet reaches the service
# directly (it handles SIGTERM/SIGINT and exits 0 within 2 s). No npm or shell wrapper, which would
# swallow the signal.
# Source maps are off by default: parsing the 8 MB dist/main.js.map adds ~250 ms to start-up. To get
# TypeScript stack traces when debugging, run with NODE_OPTIONS=--enable-source-maps, e.g.
#   docker run -e NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=1 --enable-source-maps" ...
CMD ["node", "dist/main.js"]
