#!/usr/bin/env bash
# Production run without Docker: repeats the Dockerfile's build steps on this machine and runs the
# result against the built-in Electricity Maps simulator.
#
#   build stage    copy package.json, package-lock.json, tsconfig.json, src/ -> npm ci -> npm run build
#                  (esbuild: dist/main.js with every production dependency inlined, + source map)
#   runtime stage  a clean folder with ONLY package.json and dist/, no node_modules in it or in any
#                  folder above it: the run proves the bundle is self-contained. NODE_ENV=production,
#                  no --enable-source-maps (as the image's CMD).
#
# Then, with the simulator started from the repo:
#   1. `node dist/main.js --once` against the simulator: exit 0, a cache file with the contract's
#      shape, mode 0644, no temp files left behind.
#   1b. `--once` naming UK and WattTime zones: their adapters' chunks load from dist/ (`sources` says
#      which provider answered each zone).
#   2. `node dist/main.js` as a server: /healthz and /readyz answer 200 on HTTP_PORT (the probes in
#      k8s.yaml), /metrics answers, the Dockerfile's HEALTHCHECK command passes, SIGTERM exits 0.
#
# Usage: .ci/production-run.sh            (KEEP_WORKDIR=1 keeps the temp dir for inspection)
# Needs: node + npm (Node 22/24 like the image; Node 20 works for a local run), a network path to
# the npm registry for npm ci, and the repo's own dev dependencies installed (npm ci in the repo)
# for the simulator.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d "${TMPDIR:-/tmp}/carbon-poller-prod.XXXXXX")"
sim_pid=""
svc_pid=""

log() { printf '\n==> %s\n' "$*"; }
die() {
  printf 'FAIL: %s\n' "$*" >&2
  exit 1
}

cleanup() {
  local rc=$?
  for pid in "$svc_pid" "$sim_pid"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  if [[ $rc -ne 0 ]]; then
    for f in "$work"/simulator.log "$work"/once.log "$work"/server.log; do
      if [[ -s "$f" ]]; then
        printf '\n--- %s (last 40 lines) ---\n' "${f##*/}" >&2
        tail -n 40 "$f" >&2
      fi
    done
  fi
  if [[ "${KEEP_WORKDIR:-0}" == "1" ]]; then
    printf 'work dir kept: %s\n' "$work" >&2
  else
    rm -rf "$work"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A free TCP port on loopback (the kernel picks one; tiny race until it is bound again).
free_port() {
  node -e 'const s=require("node:net").createServer().listen(0,"127.0.0.1",()=>{process.stdout.write(String(s.address().port));s.close()})'
}

# Polls URL until it answers HTTP 200 or TIMEOUT seconds pass. Prints the last status.
wait_for_200() {
  local url=$1 timeout_s=$2
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e '
    const [url, timeoutS] = process.argv.slice(1)
    const deadline = Date.now() + Number(timeoutS) * 1000
    let last = "no answer"
    const attempt = () =>
      fetch(url, { signal: AbortSignal.timeout(2000) })
        .then((r) => { last = String(r.status); return r.ok })
        .catch((e) => { last = String(e.cause?.code ?? e.message); return false })
    ;(async () => {
      while (Date.now() < deadline) {
        if (await attempt()) { console.log(`${url} -> 200`); process.exit(0) }
        await new Promise((r) => setTimeout(r, 250))
      }
      console.error(`${url}: no 200 within ${timeoutS}s (last: ${last})`)
      process.exit(1)
    })()
  ' "$url" "$timeout_s"
}

log "node $(node --version), npm $(npm --version); work dir $work"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
if [[ "$node_major" != "22" && "$node_major" != "24" ]]; then
  printf 'note: the image runs Node 22/24; this run uses Node %s\n' "$node_major"
fi

# ------------------------------------------------------------------------------------------------
log "build stage: copy the build context (exactly what the Dockerfile COPYs)"
build="$work/build"
mkdir -p "$build"
cp "$repo/package.json" "$repo/package-lock.json" "$repo/tsconfig.json" "$build/"
# src/ as the working tree has it (uncommitted files included), minus anything .dockerignore drops.
(cd "$repo" && tar --exclude='node_modules' --exclude='*.tsbuildinfo' -cf - src) | (cd "$build" && tar -xf -)

log "build stage: npm ci"
(cd "$build" && npm ci --no-audit --no-fund)

log "build stage: npm run build"
(cd "$build" && npm run build)
[[ -f "$build/dist/main.js" ]] || die "npm run build did not produce dist/main.js"
[[ -f "$build/dist/main.js.map" ]] || die "npm run build did not produce dist/main.js.map"
ls -l "$build/dist"

# ------------------------------------------------------------------------------------------------
log "runtime stage: a clean folder with only package.json and dist/"
app="$work/app"
mkdir -p "$app"
cp "$repo/package.json" "$app/"
cp -R "$build/dist" "$app/dist"
# Exactly package.json and dist/ at the top, and no node_modules anywhere in it.
top="$(cd "$app" && find . -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')"
[[ "$top" == "dist package.json " ]] || die "runtime folder holds more than package.json and dist/: $top"
nm="$(find "$app" -name node_modules -print -quit)"
[[ -z "$nm" ]] || die "node_modules in the runtime folder: $nm"
# Node also resolves bare imports from node_modules in every folder above; none may exist, or a run
# could pass by borrowing packages from there. (NODE_PATH is cleared below by env -i.)
dir="$app"
while [[ "$dir" != "/" ]]; do
  dir="$(dirname "$dir")"
  [[ ! -e "$dir/node_modules" ]] || die "$dir/node_modules exists: the run would not prove the bundle is self-contained"
done
printf 'runtime tree: %s (no node_modules)\n' "$(du -sh "$app" | cut -f1)"
(cd "$app" && find . -type f -printf '  %p %s bytes\n' | sort)

# ------------------------------------------------------------------------------------------------
log "simulator: start from the repo on a free port"
# The simulator is test tooling, not part of the image: it runs from the repo with the repo's dev
# dependencies (tsx). `node --import tsx` is what `npx tsx` does, minus the npm and tsx wrapper
# processes, so $! is the simulator itself and the cleanup's SIGTERM reaches it.
[[ -e "$repo/node_modules/tsx" ]] || die "tsx is not installed in $repo (run npm ci there first)"
(cd "$repo" && exec node --import tsx src/simulator/main.ts --port 0) >"$work/simulator.log" 2>&1 &
sim_pid=$!
sim_url=""
for _ in $(seq 1 120); do
  sim_url="$(grep -Eo 'simulator listening on https?://[^[:space:]]+' "$work/simulator.log" | head -n 1 | sed 's/^simulator listening on //' || true)"
  [[ -n "$sim_url" ]] && break
  kill -0 "$sim_pid" 2>/dev/null || die "simulator exited before listening"
  sleep 0.25
done
[[ -n "$sim_url" ]] || die "simulator did not print its URL within 30s"
printf 'simulator: %s (pid %s)\n' "$sim_url" "$sim_pid"

# The service's environment: only what we set here, as in the container (no key, URL or other
# setting leaking in from the caller's environment). Everything else takes the service's defaults.
run_env=(
  env -i PATH="$PATH" HOME="$work"
  NODE_ENV=production
  ELECTRICITY_MAPS_API_KEY=ci-key
  ELECTRICITY_MAPS_API_URL="$sim_url"
  LOG_FORMAT=json
)

# ------------------------------------------------------------------------------------------------
log "runtime: node dist/main.js --once"
cache_dir="$work/cache"
cache_file="$cache_dir/carbon_cache.json"
set +e
(cd "$app" && timeout 60 "${run_env[@]}" CACHE_FILE="$cache_file" HTTP_PORT=0 \
  node dist/main.js --once) >"$work/once.log" 2>&1
once_rc=$?
set -e
printf 'exit code %s; log:\n' "$once_rc"
cat "$work/once.log"
[[ $once_rc -eq 0 ]] || die "node dist/main.js --once exited $once_rc"
[[ -f "$cache_file" ]] || die "cache file $cache_file was not written"

log "cache file: contract shape"
# shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
node -e '
  const fs = require("node:fs")
  const path = require("node:path")
  const file = process.argv[1]
  const fail = (msg) => { console.error(`cache file: ${msg}`); process.exit(1) }
  const c = JSON.parse(fs.readFileSync(file, "utf8"))
  for (const k of ["timestamp", "ttl_minutes", "regions", "sorted_by_carbon", "best_region", "worst_region"]) {
    if (!(k in c)) fail(`missing key ${k}`)
  }
  const stamp = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/
  if (!stamp.test(c.timestamp)) fail(`timestamp ${c.timestamp} is not YYYY-MM-DDTHH:MM:SS`)
  if (c.ttl_minutes !== 10) fail(`ttl_minutes ${c.ttl_minutes}, expected the default 10`)
  const zones = Object.keys(c.regions)
  if (zones.length === 0) fail("regions is empty")
  for (const [z, r] of Object.entries(c.regions)) {
    if (r.zone !== z) fail(`regions.${z}.zone is ${r.zone}`)
    if (typeof r.carbonIntensity !== "number") fail(`regions.${z}.carbonIntensity is not a number`)
    if (!stamp.test(r.timestamp)) fail(`regions.${z}.timestamp ${r.timestamp} has the wrong format`)
  }
  const expected = [...zones].sort((a, b) =>
    c.regions[a].carbonIntensity - c.regions[b].carbonIntensity || (a < b ? -1 : a > b ? 1 : 0))
  if (JSON.stringify(c.sorted_by_carbon) !== JSON.stringify(expected)) fail(`sorted_by_carbon ${c.sorted_by_carbon} != ${expected}`)
  if (c.best_region !== expected[0]) fail(`best_region ${c.best_region} != ${expected[0]}`)
  if (c.worst_region !== expected.at(-1)) fail(`worst_region ${c.worst_region} != ${expected.at(-1)}`)
  const mode = fs.statSync(file).mode & 0o777
  if (mode !== 0o644) fail(`mode ${mode.toString(8)}, expected 644 (the scheduler runs as another user)`)
  const leftovers = fs.readdirSync(path.dirname(file)).filter((f) => f !== path.basename(file))
  if (leftovers.length > 0) fail(`files left next to the cache: ${leftovers}`)
  console.log(`ok: ${zones.length} zones, best ${c.best_region}, worst ${c.worst_region}, timestamp ${c.timestamp}`)
' "$cache_file"

# ------------------------------------------------------------------------------------------------
log "runtime: node dist/main.js --once with the UK and WattTime adapters (chunks loaded on demand)"
# Those adapters are split into chunks the bundle imports only when ZONES names their provider: a
# run naming them proves the chunks are in dist/ and load outside the source tree.
sim_origin="${sim_url%/v4}"
multi_dir="$work/multi"
for deployment in \
  "ZONES=DE,GB|ukci:national,ukci:13 EMISSION_FACTOR_TYPE=direct UKCI_API_URL=$sim_origin/ukci" \
  "ZONES=watttime:CAISO_NORTH SIGNAL=marginal EMISSION_FACTOR_TYPE=direct WATTTIME_API_URL=$sim_origin WATTTIME_USERNAME=sim-user WATTTIME_PASSWORD=sim-password"; do
  rm -rf "$multi_dir"
  set +e
  # shellcheck disable=SC2086 # the deployment's variables are words on purpose
  (cd "$app" && timeout 60 "${run_env[@]}" CACHE_FILE="$multi_dir/carbon_cache.json" HTTP_PORT=0 $deployment \
    node dist/main.js --once) >"$work/once.log" 2>&1
  multi_rc=$?
  set -e
  [[ $multi_rc -eq 0 ]] || { cat "$work/once.log"; die "--once with $deployment exited $multi_rc"; }
  # shellcheck disable=SC2016 # JavaScript template literals, not shell expansions
  node -e '
    const c = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))
    const keys = Object.keys(c.regions)
    const providers = keys.map((k) => `${k}: ${c.sources?.[k]?.provider}`)
    const expected = process.argv[2].split(" ")[0].slice("ZONES=".length).split(",").map((chain) => chain.split("|")[0])
    if (JSON.stringify([...keys].sort()) !== JSON.stringify([...expected].sort())) {
      console.error(`regions ${keys} != ${expected}`); process.exit(1)
    }
    if (keys.some((k) => c.sources?.[k]?.provider === undefined)) { console.error(`sources: ${providers}`); process.exit(1) }
    console.log(`ok: ${providers.join(", ")}`)
  ' "$multi_dir/carbon_cache.json" "$deployment"
done

# ------------------------------------------------------------------------------------------------
log "runtime: node dist/main.js as a server (probes, HEALTHCHECK, SIGTERM)"
port="$(free_port)"
server_cache="$work/server-cache/carbon_cache.json"
(cd "$app" && exec "${run_env[@]}" CACHE_FILE="$server_cache" HTTP_PORT="$port" \
  node dist/main.js) >"$work/server.log" 2>&1 &
svc_pid=$!
printf 'service pid %s on port %s\n' "$svc_pid" "$port"

wait_for_200 "http://127.0.0.1:$port/healthz" 30 || die "/healthz (livenessProbe) not 200"
wait_for_200 "http://127.0.0.1:$port/readyz" 60 || die "/readyz (startupProbe/readinessProbe) not 200"
wait_for_200 "http://127.0.0.1:$port/metrics" 10 || die "/metrics not 200"
[[ -f "$server_cache" ]] || die "/readyz is 200 but $server_cache does not exist"

# The kubelet probes the pod IP, not loopback: the server must listen on all interfaces. Checked
# from the service's own log and the socket table, without sending traffic to a non-loopback address.
grep -q '"HTTP endpoints on http://0.0.0.0:'"$port"': ' "$work/server.log" ||
  die "the endpoints do not listen on 0.0.0.0: kubelet probes to the pod IP would fail"
if command -v ss >/dev/null; then
  ss -ltn "( sport = :$port )" | grep -q "0.0.0.0:$port" || die "no listening socket on 0.0.0.0:$port"
fi
printf 'endpoints listen on 0.0.0.0:%s\n' "$port"

# The Dockerfile's HEALTHCHECK command, taken from the Dockerfile itself, against this server.
hc_cmd="$(node -e '
  const text = require("node:fs").readFileSync(process.argv[1], "utf8").replace(/\\\r?\n/g, " ")
  const m = /^HEALTHCHECK\b.*?\bCMD\s+(\[.*\])\s*$/m.exec(text)
  if (!m) { console.error("no exec-form HEALTHCHECK in the Dockerfile"); process.exit(1) }
  const argv = JSON.parse(m[1])
  if (argv[0] !== "node" || argv[1] !== "-e") { console.error("HEALTHCHECK is not node -e"); process.exit(1) }
  process.stdout.write(argv[2])
' "$repo/Dockerfile")"
HTTP_PORT="$port" node -e "$hc_cmd" || die "the Dockerfile HEALTHCHECK fails against a healthy server"
printf 'Dockerfile HEALTHCHECK: ok\n'
if HTTP_PORT="$(free_port)" node -e "$hc_cmd"; then
  die "the Dockerfile HEALTHCHECK passes with nothing listening"
fi
printf 'Dockerfile HEALTHCHECK with nothing listening: fails, as it should\n'

log "runtime: SIGTERM -> exit 0 within 2s (docs/operations.md)"
kill -TERM "$svc_pid"
svc_rc=""
for _ in $(seq 1 30); do
  if ! kill -0 "$svc_pid" 2>/dev/null; then
    set +e
    wait "$svc_pid"
    svc_rc=$?
    set -e
    break
  fi
  sleep 0.1
done
if [[ -z "$svc_rc" ]]; then
  die "service still running 3s after SIGTERM"
fi
svc_pid=""
[[ "$svc_rc" -eq 0 ]] || die "service exited $svc_rc after SIGTERM, expected 0"
# The read API's 24-hour history lives beside the cache (<name>.history.json): kept, not a leftover.
server_history="$(basename "$server_cache" .json).history.json"
leftovers="$(find "$(dirname "$server_cache")" -mindepth 1 ! -name "$(basename "$server_cache")" ! -name "$server_history" -print)"
[[ -z "$leftovers" ]] || die "temp files left after SIGTERM: $leftovers"
printf 'exit 0 after SIGTERM, no temp files left\n'

log "production run passed"
