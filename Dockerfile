# carbon-poller container image.
#
#   docker build -t local/carbon-poller:0.1.0 .
#   docker run -e ELECTRICITY_MAPS_API_KEY -p 9477:9477 local/carbon-poller:0.1.0
#
# The tag is the one k8s.yaml and k8s-cluster.yaml run; load the image into the cluster (kind load,
# minikube image load, k3s ctr images import) or push it to a registry: the README's "Deploy".
#
# Two stages:
#   build    full install from the lockfile (npm ci) and esbuild bundle (npm run build): dist/main.js
#            with every production dependency inlined and tree-shaken, plus its source map (and
#            dist/main.js.LEGAL.txt when a dependency carries legal comments)
#   runtime  Node 24 on Alpine + package.json + dist/, numeric non-root user, no node_modules,
#            V8's compile cache for dist/main.js filled at build time
#
# .ci/production-run.sh repeats these steps outside Docker (there is no Docker engine in CI) and runs
# the result against the built-in Electricity Maps simulator; keep the two in step.

# Node 24 is the active LTS line (maintained until April 2028); Node 20 is end of life.
# Build stage on bookworm-slim (Debian 12, glibc): it installs prebuilt native packages from the
# lockfile (esbuild, @parcel/watcher, msgpackr-extract) that are primarily tested on glibc. For a
# reproducible release build, pin the digests as well, e.g.
#   --build-arg NODE_IMAGE=node:24-bookworm-slim@sha256:<digest>
ARG NODE_IMAGE=node:24-bookworm-slim
# Runtime stage on Alpine: the smallest maintained official Node 24 image that still has `node` on
# PATH for the exec-form HEALTHCHECK. The bundle is plain JavaScript (no native addon), so musl is
# no concern at run time. Sizes of the candidates, uncompressed, linux/amd64, each carrying the
# same ~121 MiB Node 24 binary:
#   node:24-bookworm-slim                264 MiB (Debian base ~75 MiB, npm, yarn, headers)
#   gcr.io/distroless/nodejs24-debian12  ~212 MiB (cc base ~23 MiB + the whole release tarball
#                                        less npm: its 67 MiB of OpenSSL headers for every arch)
#   node:24-alpine                       ~190 MiB (Alpine ~9 MiB, libstdc++, npm, yarn, headers
#                                        trimmed to one arch)
# The distroless image also has no shell and no `node` on PATH (its node is /nodejs/bin/node), so
# the HEALTHCHECK and the user set-up below would need rewriting for a larger image.
ARG RUNTIME_IMAGE=node:24-alpine

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
FROM ${RUNTIME_IMAGE} AS runtime

# Re-declared so the global value is visible in this stage (for the base.name label).
ARG RUNTIME_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="carbon-poller" \
      org.opencontainers.image.description="Polls Electricity Maps for the carbon intensity of grid zones, ranks them and atomically writes a JSON cache for schedulers." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.base.name="${RUNTIME_IMAGE}"

# Production mode; the cache path the Go scheduler reads (same default as the service itself).
# A heap ceiling and a small young generation make V8 collect before garbage piles up: about 100 MiB
# RSS after 100 polls of 400 zones instead of about 200 MiB with V8's defaults (npm run bench), while
# the heap left after a collection is ~25 MiB either way, so 64 MiB leaves ample room.
# NODE_COMPILE_CACHE (Node 22.1 and later; older versions ignore it): V8 reads the compiled code of
# dist/main.js from this directory instead of compiling 2 MB of JavaScript at each start, 17 % less
# start-up CPU and 10 MiB less peak RSS on Node 24 (docs/performance.md). It is filled below, at build
# time; at run time it is only read, so a read-only root filesystem is fine.
# --disable-sigusr1 (Node 22.14/23.7 and later; an older Node refuses to start with it): SIGUSR1 never
# opens Node's inspector on 127.0.0.1:9229, which anything sharing the pod's network namespace could
# then use to run code in the process. The service also catches SIGUSR1 itself (src/platform/
# ProcessGuard.ts); the flag holds even if that handler is bypassed. A NODE_OPTIONS set at run time
# replaces this one: keep the flag in it (k8s.yaml and k8s-cluster.yaml do).
ENV NODE_ENV=production \
    CACHE_FILE=/cache/carbon_cache.json \
    NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=1 --disable-sigusr1" \
    NODE_COMPILE_CACHE=/app/.compile-cache

# Dedicated unprivileged user 10001 (not 1000, which often collides with a real user on the host
# when bind-mounting). k8s.yaml runs the pod with the same runAsUser/fsGroup.
# /cache is created here and owned by that user so that a plain `docker run` without a volume can
# write the cache; in Kubernetes an emptyDir is mounted over it. The compile cache directory is the
# user's too: Node keeps one cache per uid, so it must be filled by the user that runs the service.
RUN addgroup -S -g 10001 carbon \
 && adduser -S -D -H -u 10001 -G carbon -h /nonexistent -s /sbin/nologin carbon \
 && mkdir -p /cache /app/.compile-cache \
 && chown 10001:10001 /cache /app/.compile-cache \
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

# Fills the compile cache as the service user, with the image's NODE_OPTIONS, at the path the
# service runs from: `--help` loads (and so compiles) the whole bundle and exits at once.
RUN node dist/main.js --help > /dev/null

# HTTP_PORT default: /healthz, /readyz, /metrics, /cache.
EXPOSE 9477

# Docker-only health check (Kubernetes ignores it and uses the probes in k8s.yaml). No curl/wget in
# the image: Node's own fetch. Follows HTTP_PORT; with HTTP_PORT=0 (server disabled) it reports healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const p=process.env.HTTP_PORT||'9477';if(p==='0')process.exit(0);fetch('http://127.0.0.1:'+p+'/healthz',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# Exec form, node itself as PID 1: SIGTERM from `docker stop` / the kubelet reaches the service
# directly (it handles SIGTERM/SIGINT and exits 0 within 2 s). No npm or shell wrapper, which would
# swallow the signal.
# Source maps are off by default: parsing the 10 MB dist/main.js.map adds ~250 ms to start-up. To get
# TypeScript stack traces when debugging, run with NODE_OPTIONS=--enable-source-maps, e.g.
#   docker run -e NODE_OPTIONS="--max-old-space-size=64 --max-semi-space-size=1 --disable-sigusr1 --enable-source-maps" ...
CMD ["node", "dist/main.js"]
