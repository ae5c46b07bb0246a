/**
 * Static checks of the Dockerfile and .dockerignore (there is no Docker engine in CI).
 *
 * A small parser turns the Dockerfile into instructions (comments dropped, `\` line continuations
 * joined, global ARG defaults substituted into FROM) grouped by stage. The checks are a function
 * returning a list of problems: the real files must give none, and the "each check can fail" block
 * edits the text once per check and expects that check to complain.
 */
import { existsSync, readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "vitest"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
const dockerfileText = readFileSync(path.join(root, "Dockerfile"), "utf8")
const dockerignoreText = readFileSync(path.join(root, ".dockerignore"), "utf8")

const HTTP_PORT = 9477
const CACHE_FILE = "/cache/carbon_cache.json"
const SUPPORTED_NODE_MAJORS = ["22", "24"]

// ---------------------------------------------------------------------------------------------
// Parser

interface Instruction {
  readonly keyword: string // upper case
  readonly args: string // raw argument text, continuations joined
  readonly line: number // 1-based line of the keyword
}

interface Stage {
  readonly index: number
  readonly name: string | undefined
  readonly image: string // with global ARG defaults substituted
  readonly instructions: ReadonlyArray<Instruction>
}

function parseInstructions(text: string): Array<Instruction> {
  const lines = text.split(/\r?\n/)
  const out: Array<Instruction> = []
  let current: { keyword: string; parts: Array<string>; line: number } | undefined
  lines.forEach((raw, i) => {
    const trimmed = raw.trim()
    // Comment lines (also inside a continuation) and blank lines are dropped, as Docker does.
    if (trimmed === "" || trimmed.startsWith("#")) return
    const continues = /\\\s*$/.test(raw)
    const body = continues ? raw.replace(/\\\s*$/, "") : raw
    if (current === undefined) {
      const m = /^\s*(\S+)\s*(.*)$/.exec(body)
      current = { keyword: (m?.[1] ?? "").toUpperCase(), parts: [(m?.[2] ?? "").trim()], line: i + 1 }
    } else {
      current.parts.push(body.trim())
    }
    if (!continues) {
      out.push({ keyword: current.keyword, args: current.parts.filter((p) => p !== "").join(" "), line: current.line })
      current = undefined
    }
  })
  if (current !== undefined) throw new Error(`line ${current.line}: continuation at end of file`)
  return out
}

function substitute(text: string, vars: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (whole, a?: string, b?: string) => {
    const name = a ?? b ?? ""
    return vars.get(name) ?? whole
  })
}

function parseDockerfile(text: string): Array<Stage> {
  const globalArgs = new Map<string, string>()
  const stages: Array<{ index: number; name: string | undefined; image: string; instructions: Array<Instruction> }> = []
  for (const ins of parseInstructions(text)) {
    if (ins.keyword === "FROM") {
      const words = ins.args.split(/\s+/).filter((w) => !w.startsWith("--"))
      const image = substitute(words[0] ?? "", globalArgs)
      const name = words[1]?.toUpperCase() === "AS" ? words[2] : undefined
      stages.push({ index: stages.length, name, image, instructions: [] })
      continue
    }
    const stage = stages.at(-1)
    if (stage === undefined) {
      if (ins.keyword !== "ARG") throw new Error(`line ${ins.line}: ${ins.keyword} before the first FROM`)
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/.exec(ins.args)
      if (m?.[1] !== undefined && m[2] !== undefined) globalArgs.set(m[1], m[2].replace(/^"(.*)"$/, "$1"))
      continue
    }
    stage.instructions.push(ins)
  }
  return stages
}

/** The JSON array of an exec-form instruction, or undefined for shell form. */
function execForm(args: string): Array<string> | undefined {
  if (!args.trimStart().startsWith("[")) return undefined
  try {
    const parsed: unknown = JSON.parse(args)
    return Array.isArray(parsed) && parsed.every((x): x is string => typeof x === "string") ? parsed : undefined
  } catch {
    return undefined
  }
}

/** key=value pairs of ENV/LABEL (also the legacy `ENV key value` form). */
function keyValues(args: string): Map<string, string> {
  const out = new Map<string, string>()
  const legacy = /^([^\s=]+)\s+(.*)$/.exec(args)
  if (legacy?.[1] !== undefined && legacy[2] !== undefined && !args.includes("=")) {
    out.set(legacy[1], legacy[2])
    return out
  }
  for (const m of args.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|\S*)/g)) {
    const value = m[2] ?? ""
    out.set(m[1] ?? "", value.startsWith("\"") ? value.slice(1, -1).replace(/\\(.)/g, "$1") : value)
  }
  return out
}

interface Copy {
  readonly from: string | undefined
  readonly chown: string | undefined
  readonly sources: ReadonlyArray<string>
  readonly dest: string
}

function parseCopy(args: string): Copy {
  const words = execForm(args) ?? args.split(/\s+/)
  const flags = words.filter((w) => w.startsWith("--"))
  const paths = words.filter((w) => !w.startsWith("--"))
  const flag = (name: string): string | undefined => flags.find((f) => f.startsWith(`--${name}=`))?.split("=")[1]
  return { from: flag("from"), chown: flag("chown"), sources: paths.slice(0, -1), dest: paths.at(-1) ?? "" }
}

// ---------------------------------------------------------------------------------------------
// .dockerignore: Go filepath.Match-style patterns, a pattern also excludes everything below a
// matched directory, `!` re-includes, the last matching pattern wins.

function globToRegExp(pattern: string): RegExp {
  let re = ""
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i] ?? ""
    if (ch === "*" && pattern[i + 1] === "*") {
      re += ".*"
      i++
      if (pattern[i + 1] === "/") i++
    } else if (ch === "*") re += "[^/]*"
    else if (ch === "?") re += "[^/]"
    else re += ch.replace(/[.+^${}()|[\]\\]/g, "\\$&")
  }
  return new RegExp(`^${re}(/.*)?$`)
}

function isIgnored(file: string, dockerignore: string): boolean {
  let ignored = false
  for (const raw of dockerignore.split(/\r?\n/)) {
    const line = raw.trim()
    if (line === "" || line.startsWith("#")) continue
    const negate = line.startsWith("!")
    const pattern = path.posix.normalize((negate ? line.slice(1) : line).replace(/^\/+/, ""))
    if (globToRegExp(pattern).test(file)) ignored = !negate
  }
  return ignored
}

// ---------------------------------------------------------------------------------------------
// Checks

const runs = (stage: Stage): Array<string> => stage.instructions.filter((i) => i.keyword === "RUN").map((i) => i.args)
const of = (stage: Stage, keyword: string): Array<Instruction> =>
  stage.instructions.filter((i) => i.keyword === keyword)
const npmCi = /\bnpm\s+ci\b/
const omitDev = /--omit[= ]dev\b|--only[= ]prod(uction)?\b|--production\b/

/** The build context as the checks see it: the repository on disk, or a stand-in in a test. */
interface ContextFiles {
  readonly exists: (rel: string) => boolean
  readonly read: (rel: string) => string
}

const diskFiles: ContextFiles = {
  exists: (rel) => existsSync(path.join(root, rel)),
  read: (rel) => readFileSync(path.join(root, rel), "utf8")
}

function dockerfileProblems(dockerfile: string, dockerignore: string, files: ContextFiles = diskFiles): Array<string> {
  const problems: Array<string> = []
  const fail = (msg: string): void => {
    problems.push(msg)
  }
  let stages: Array<Stage>
  try {
    stages = parseDockerfile(dockerfile)
  } catch (e) {
    return [`Dockerfile does not parse: ${String(e)}`]
  }
  if (stages.length < 2) fail(`multi-stage build expected (>= 2 FROM), found ${stages.length}`)
  const final = stages.at(-1)
  if (final === undefined) return [...problems, "no FROM"]
  const stageByName = (ref: string): Stage | undefined =>
    stages.find((s) => s.name === ref) ?? (/^\d+$/.test(ref) ? stages[Number(ref)] : undefined)

  // --- base images: a maintained Node LTS, pinned to a major version, slim or alpine at runtime
  for (const stage of stages) {
    const m = /^(?:docker\.io\/)?(?:library\/)?node:(\d+)[^@\s]*/.exec(stage.image)
    if (m === null) {
      fail(`stage ${stage.name ?? stage.index}: base ${stage.image} is not an official node:<major> image`)
    } else if (!SUPPORTED_NODE_MAJORS.includes(m[1] ?? "")) {
      fail(`stage ${stage.name ?? stage.index}: Node ${m[1]} is not a maintained LTS (use 22 or 24)`)
    }
  }
  // Alpine: the smallest official Node image that keeps `node` on PATH for the exec-form HEALTHCHECK.
  if (!/^(?:docker\.io\/)?(?:library\/)?node:\d+[^@\s]*-alpine/.test(final.image)) {
    fail(
      `runtime base ${final.image} should be the official node:<major>-alpine image, the smallest one with node on PATH`
    )
  }

  // --- build stage: npm ci from the lockfile, then npm run build
  const buildStage = stages.find((s) => runs(s).some((r) => /\bnpm\s+run\s+build\b/.test(r)))
  if (buildStage === undefined) fail("no stage runs `npm run build`")
  else {
    const ciIndex = buildStage.instructions.findIndex((i) =>
      i.keyword === "RUN" && npmCi.test(i.args) && !omitDev.test(i.args)
    )
    const lockIndex = buildStage.instructions.findIndex(
      (i) =>
        i.keyword === "COPY" && parseCopy(i.args).from === undefined &&
        parseCopy(i.args).sources.some((s) => s === "package-lock.json" || s === "package*.json")
    )
    const buildIndex = buildStage.instructions.findIndex((i) =>
      i.keyword === "RUN" && /\bnpm\s+run\s+build\b/.test(i.args)
    )
    if (ciIndex < 0) fail("build stage must install with `npm ci` (full, from the lockfile)")
    if (lockIndex < 0 || (ciIndex >= 0 && lockIndex > ciIndex)) {
      fail("build stage must COPY package-lock.json before `npm ci`")
    }
    if (ciIndex > buildIndex) fail("`npm ci` must come before `npm run build`")
  }
  for (const stage of stages) {
    for (const r of runs(stage)) {
      if (/\bnpm\s+(install|i)\b/.test(r)) fail(`stage ${stage.name ?? stage.index}: use npm ci, not npm install`)
    }
  }

  // --- runtime: package.json (for "type": "module") and the bundle in dist/, nothing else. The bundle
  // is the production dependency set (inlined and tree-shaken by esbuild), so the runtime stage has
  // no node_modules and never runs npm.
  const finalCopies = of(final, "COPY").concat(of(final, "ADD")).map((i) => parseCopy(i.args))
  for (const c of finalCopies) {
    for (const src of c.sources) {
      const where = c.from === undefined ? "" : ` from ${c.from}`
      if (/(^|\/)node_modules(\/|$)/.test(src)) {
        fail(`runtime stage must not copy node_modules (${src}${where}): the bundle has its dependencies`)
      } else if (!/(^|\/)(package\*?\.json|dist\/?)$/.test(src)) {
        fail(`runtime stage copies ${src}${where}; it needs only package.json and dist/`)
      }
    }
  }
  for (const r of runs(final)) {
    if (/\b(npm|npx|yarn|pnpm|corepack)\b/.test(r)) {
      fail(`runtime stage must not run npm (nothing to install: the bundle has its dependencies): ${r}`)
    }
  }
  if (
    !finalCopies.some((c) =>
      c.from === undefined && c.sources.some((s) => s === "package.json" || s === "package*.json")
    )
  ) {
    fail("runtime stage must COPY package.json (its \"type\": \"module\" makes dist/*.js ES modules)")
  }
  const distCopy = finalCopies.find((c) => c.from !== undefined && c.sources.some((s) => /(^|\/)dist\/?$/.test(s)))
  if (distCopy === undefined) fail("runtime stage must COPY dist from the build stage")
  else if (stageByName(distCopy.from ?? "") !== buildStage) {
    fail(`dist is copied from ${distCopy.from}, not the build stage`)
  }

  // --- user: numeric, non-root, owns /cache
  const user = of(final, "USER").at(-1)?.args
  const uid = user?.split(":")[0]
  if (user === undefined) fail("runtime stage has no USER (would run as root)")
  else if (uid === undefined || !/^\d+$/.test(uid)) {
    fail(`USER ${user} must be numeric (runAsNonRoot can only verify a numeric uid)`)
  } else if (Number(uid) === 0) fail("USER must not be root (0)")
  else {
    const owns = (r: string): boolean =>
      // The chown's own arguments only: not a /cache further along the command line after && or ;.
      new RegExp(`\\bchown\\s+(?:-R\\s+)?${uid}(?::\\d+)?\\s+(?:[^\\s;&]+\\s+)*/cache/?(?:\\s|$|;|&)`).test(r) &&
      /\bmkdir\b[^&;]*\s\/cache\b/.test(r)
    const copiedWithChown = finalCopies.some((c) =>
      c.dest.replace(/\/$/, "") === "/cache" && c.chown?.split(":")[0] === uid
    )
    if (!runs(final).some(owns) && !copiedWithChown) fail(`/cache must be created and chowned to the USER ${uid}`)
  }

  // --- environment
  const env = new Map(of(final, "ENV").flatMap((i) => [...keyValues(i.args)]))
  if (env.get("NODE_ENV") !== "production") fail("ENV NODE_ENV=production missing in the runtime stage")
  if (env.get("CACHE_FILE") !== CACHE_FILE) fail(`ENV CACHE_FILE=${CACHE_FILE} missing in the runtime stage`)
  // SIGUSR1 would open Node's inspector on 127.0.0.1:9229 if the service's own handler were bypassed.
  if (!(env.get("NODE_OPTIONS") ?? "").split(/\s+/).includes("--disable-sigusr1")) {
    fail("ENV NODE_OPTIONS must include --disable-sigusr1 (SIGUSR1 must never open the inspector)")
  }

  // --- V8 compile cache: read at start-up from a directory filled at build time. Node keeps one cache
  // per uid, so it must be filled as the USER, after the bundle is in place.
  const compileCache = env.get("NODE_COMPILE_CACHE")
  if (compileCache === undefined || compileCache === "") {
    fail("ENV NODE_COMPILE_CACHE missing in the runtime stage: every start compiles the whole bundle")
  } else {
    const indexOf = (found: (i: Instruction) => boolean) => final.instructions.findIndex(found)
    const userIndex = indexOf((i) => i.keyword === "USER")
    const distIndex = indexOf((i) =>
      i.keyword === "COPY" && parseCopy(i.args).sources.some((src) => /(^|\/)dist\/?$/.test(src))
    )
    const fillIndex = indexOf((i) =>
      i.keyword === "RUN" && /\bnode\s+(?:\S+\s+)*(?:\S*\/)?dist\/main\.js\b/.test(i.args)
    )
    if (fillIndex < 0) fail("no RUN fills the compile cache (node dist/main.js at build time)")
    else if (fillIndex < userIndex || userIndex < 0) {
      fail("the compile cache must be filled as the USER (Node keeps one cache per uid): RUN it after USER")
    } else if (fillIndex < distIndex) fail("the compile cache is filled before dist/ is copied")
    const escaped = compileCache.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
    const ownsCache = new RegExp(
      `\\bchown\\s+(?:-R\\s+)?${uid ?? "-"}(?::\\d+)?\\s+(?:[^\\s;&]+\\s+)*${escaped}/?(?:\\s|$|;|&)`
    )
    if (!runs(final).some((r) => ownsCache.test(r))) {
      fail(`the compile cache directory ${compileCache} must be owned by the USER ${uid ?? ""} so it can be filled`)
    }
  }

  // --- command: exec form, node itself on dist/main.js (signals reach the process)
  const entrypoint = of(final, "ENTRYPOINT").at(-1)
  const cmd = of(final, "CMD").at(-1)
  const entryExec = entrypoint === undefined ? [] : execForm(entrypoint.args)
  const cmdExec = cmd === undefined ? [] : execForm(cmd.args)
  if (entryExec === undefined) fail("ENTRYPOINT must be in exec (JSON) form")
  if (cmdExec === undefined) fail("CMD must be in exec (JSON) form")
  const argv = [...(entryExec ?? []), ...(cmdExec ?? [])]
  if (argv.length === 0) fail("no CMD/ENTRYPOINT")
  else {
    if (argv[0] !== "node" && argv[0] !== "/usr/local/bin/node") fail(`command must start with node, got ${argv[0]}`)
    if (argv.some((a) => /^(npm|npx|sh|bash|\/bin\/sh|yarn)$/.test(a))) fail("no npm/shell wrapper in the command")
    // Parsing the 8 MB source map costs ~250 ms of start-up; NODE_OPTIONS=--enable-source-maps turns it on when debugging.
    if (argv.includes("--enable-source-maps") || /--enable-source-maps/.test(env.get("NODE_OPTIONS") ?? "")) {
      fail("--enable-source-maps must not be on by default (NODE_OPTIONS=--enable-source-maps when debugging)")
    }
    const script = argv.slice(1).find((a) => !a.startsWith("-"))
    if (script === undefined || !/(^|\/)dist\/main\.js$/.test(script)) {
      fail(`command must run dist/main.js, got ${script}`)
    } else {
      const workdir = of(final, "WORKDIR").at(-1)?.args ?? "/"
      const scriptDir = path.posix.dirname(path.posix.resolve(workdir, script))
      if (distCopy !== undefined && path.posix.resolve(workdir, distCopy.dest) !== scriptDir) {
        fail(
          `dist is copied to ${path.posix.resolve(workdir, distCopy.dest)} but the command runs ${scriptDir}/main.js`
        )
      }
    }
  }

  // --- health check without curl/wget, on HTTP_PORT's /healthz
  const health = of(final, "HEALTHCHECK").at(-1)
  if (health === undefined || /^NONE\b/i.test(health.args)) fail("HEALTHCHECK missing")
  else {
    if (/\b(curl|wget)\b/.test(health.args)) fail("HEALTHCHECK must not need curl/wget")
    const hcCmd = /\bCMD\s+(.*)$/s.exec(health.args)?.[1] ?? ""
    const hcExec = execForm(hcCmd)
    if (hcExec?.[0] !== "node") fail("HEALTHCHECK should be `CMD [\"node\", ...]` (exec form)")
    if (!health.args.includes("/healthz") || !health.args.includes(String(HTTP_PORT))) {
      fail(`HEALTHCHECK must hit /healthz on ${HTTP_PORT}`)
    }
  }

  // --- port
  const exposed = of(final, "EXPOSE").flatMap((i) => i.args.split(/\s+/))
  if (!exposed.some((p) => p === String(HTTP_PORT) || p === `${HTTP_PORT}/tcp`)) fail(`EXPOSE ${HTTP_PORT} missing`)

  // --- OCI labels
  const labels = new Map(of(final, "LABEL").flatMap((i) => [...keyValues(i.args)]))
  for (const l of ["title", "description", "version", "licenses"]) {
    if ((labels.get(`org.opencontainers.image.${l}`) ?? "") === "") fail(`LABEL org.opencontainers.image.${l} missing`)
  }

  // --- build context: .dockerignore keeps host artefacts out, but not what the build needs
  for (const p of ["node_modules", "src/node_modules", "dist", ".git", "test", "bench"]) {
    if (!isIgnored(p, dockerignore)) fail(`.dockerignore must exclude ${p}`)
  }
  const contextCopies = stages.flatMap((s) => of(s, "COPY").concat(of(s, "ADD")).map((i) => parseCopy(i.args)))
    .filter((c) => c.from === undefined)
  const contextSources = [...new Set(contextCopies.flatMap((c) => c.sources))]
  for (const src of contextSources) {
    const rel = src.replace(/^\.\//, "").replace(/\/$/, "")
    if (isIgnored(rel, dockerignore)) fail(`.dockerignore excludes ${rel}, which the Dockerfile copies`)
    if (!rel.includes("*") && !files.exists(rel)) fail(`COPY source ${rel} does not exist`)
  }
  // A copied tsconfig that extends another needs that one too.
  for (const src of contextSources.filter((s) => /tsconfig.*\.json$/.test(s))) {
    if (!files.exists(src)) continue // reported above
    const parsed: unknown = JSON.parse(files.read(src))
    const ext = typeof parsed === "object" && parsed !== null && "extends" in parsed ? parsed.extends : undefined
    if (typeof ext === "string" && !contextSources.includes(path.posix.normalize(ext))) {
      fail(`${src} extends ${ext}, which is not copied`)
    }
  }

  return problems
}

// ---------------------------------------------------------------------------------------------
// Tests

describe("Dockerfile", () => {
  it("parses into stages", () => {
    const stages = parseDockerfile(dockerfileText)
    expect(stages.map((s) => s.name)).toEqual(["build", "runtime"])
    expect(stages.every((s) => s.image.startsWith("node:"))).toBe(true)
  })

  it("passes every check", () => {
    expect(dockerfileProblems(dockerfileText, dockerignoreText)).toEqual([])
  })
})

describe("Dockerfile parser", () => {
  it("joins continuations, drops comments (also inside a continuation) and substitutes global ARGs", () => {
    const stages = parseDockerfile(
      [
        "ARG IMG=node:24-slim",
        "# comment",
        "FROM ${IMG} AS a",
        "RUN echo one \\",
        "  # inner comment",
        "    two",
        "FROM $IMG"
      ].join("\n")
    )
    expect(stages.map((s) => s.image)).toEqual(["node:24-slim", "node:24-slim"])
    expect(stages[0]?.instructions).toEqual([{ keyword: "RUN", args: "echo one two", line: 4 }])
  })

  it("tells exec form from shell form", () => {
    expect(execForm("[\"node\", \"dist/main.js\"]")).toEqual(["node", "dist/main.js"])
    expect(execForm("node dist/main.js")).toBeUndefined()
    expect(execForm("[node, dist/main.js]")).toBeUndefined()
  })

  it("matches .dockerignore patterns like Docker", () => {
    expect(isIgnored("node_modules", "node_modules")).toBe(true)
    expect(isIgnored("node_modules/x/y.js", "node_modules")).toBe(true)
    expect(isIgnored("src/node_modules", "node_modules")).toBe(false)
    expect(isIgnored("src/node_modules", "**/node_modules")).toBe(true)
    expect(isIgnored("README.md", "*.md\n!README.md")).toBe(false)
    expect(isIgnored("tsconfig.json", "*.json")).toBe(true)
  })
})

// ---------------------------------------------------------------------------------------------
// Each check can fail.

const edit = (from: string | RegExp, to: string) => (text: string): string => {
  const next = text.replace(from, to)
  if (next === text) throw new Error(`edit did not apply: ${String(from)}`)
  return next
}

const dockerfileMutations: ReadonlyArray<readonly [string, (t: string) => string, RegExp]> = [
  [
    "single stage",
    (t) => t.slice(0, t.indexOf("\nFROM ")) + t.slice(t.indexOf("\nFROM ${RUNTIME_IMAGE} AS runtime")),
    /multi-stage/
  ],
  [
    "Node 20 base",
    edit(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m, "ARG NODE_IMAGE=node:20-bookworm-slim"),
    /Node 20 is not a maintained LTS/
  ],
  [
    "non-node base",
    edit(/^ARG NODE_IMAGE=node:24-bookworm-slim$/m, "ARG NODE_IMAGE=debian:bookworm-slim"),
    /not an official node/
  ],
  [
    "full (non-slim) runtime base",
    edit(/^FROM \$\{RUNTIME_IMAGE\} AS runtime$/m, "FROM node:24-bookworm AS runtime"),
    /should be the official node:<major>-alpine/
  ],
  [
    "slim runtime base (larger than alpine)",
    edit(/^ARG RUNTIME_IMAGE=node:24-alpine$/m, "ARG RUNTIME_IMAGE=node:24-bookworm-slim"),
    /should be the official node:<major>-alpine/
  ],
  [
    "Node 20 runtime base",
    edit(/^ARG RUNTIME_IMAGE=node:24-alpine$/m, "ARG RUNTIME_IMAGE=node:20-alpine"),
    /Node 20 is not a maintained LTS/
  ],
  [
    "npm install instead of npm ci",
    edit("RUN npm ci --no-audit --no-fund", "RUN npm install --no-audit --no-fund"),
    /use npm ci, not npm install/
  ],
  [
    "build stage without its dev dependencies",
    edit("RUN npm ci --no-audit --no-fund", "RUN npm ci --omit=dev --no-audit --no-fund"),
    /build stage must install with `npm ci` \(full/
  ],
  [
    "npm ci after npm run build",
    (t) =>
      edit("RUN npm run build\n", "RUN npm run build\nRUN npm ci --no-audit --no-fund\n")(
        edit("RUN npm ci --no-audit --no-fund\n", "")(t)
      ),
    /`npm ci` must come before `npm run build`/
  ],
  [
    "lockfile not copied before npm ci",
    edit("COPY package.json package-lock.json ./", "COPY package.json ./"),
    /COPY package-lock.json before/
  ],
  ["no build", edit("RUN npm run build", "RUN true"), /npm run build/],
  [
    "node_modules copied into runtime",
    edit(/^(COPY --from=build \/app\/dist .*\n)/m, "$1COPY --from=build /app/node_modules ./node_modules\n"),
    /must not copy node_modules \(\/app\/node_modules from build\)/
  ],
  [
    "host node_modules copied into runtime",
    edit(/^(COPY package\.json \.\/\n)/m, "$1COPY node_modules ./node_modules\n"),
    /must not copy node_modules/
  ],
  [
    "whole build tree copied into runtime",
    edit("COPY --from=build /app/dist ./dist", "COPY --from=build /app ./"),
    /copies \/app from build; it needs only package.json and dist/
  ],
  [
    "prod install in runtime",
    edit(
      /^(COPY package\.json \.\/\n)/m,
      "COPY package.json package-lock.json ./\nRUN npm ci --omit=dev --no-audit --no-fund\n"
    ),
    /runtime stage must not run npm/
  ],
  ["npx in runtime", edit(/^(USER 10001:10001\n)/m, "RUN npx --yes some-tool\n$1"), /runtime stage must not run npm/],
  ["package.json not in runtime", edit(/^COPY package\.json \.\/\n/m, ""), /COPY package.json/],
  ["dist not copied", edit(/^COPY --from=build \/app\/dist.*\n/m, ""), /COPY dist/],
  [
    "dist copied elsewhere",
    edit("COPY --from=build /app/dist ./dist", "COPY --from=build /app/dist ./build"),
    /but the command runs/
  ],
  ["dist from another stage", (t) =>
    edit("COPY --from=build /app/dist ./dist", "COPY --from=stale /app/dist ./dist")(
      edit(/^(FROM \$\{RUNTIME_IMAGE\} AS runtime)$/m, "FROM ${NODE_IMAGE} AS stale\nRUN mkdir -p /app/dist\n$1")(t)
    ), /dist is copied from stale, not the build stage/],
  ["COPY source missing", edit("COPY src ./src", "COPY source ./src"), /COPY source source does not exist/],
  ["no USER", edit(/^USER .*\n/m, ""), /no USER/],
  ["named USER", edit("USER 10001:10001", "USER carbon"), /must be numeric/],
  ["root USER", edit("USER 10001:10001", "USER 0"), /not be root/],
  [
    "/cache not chowned",
    edit("chown 10001:10001 /cache /app/.compile-cache", "chown 10001:10001 /app/.compile-cache"),
    /\/cache must be created and chowned/
  ],
  [
    "/cache chowned to someone else",
    edit("chown 10001:10001 /cache", "chown 1000:1000 /cache"),
    /\/cache must be created and chowned/
  ],
  ["no compile cache", edit(" \\\n    NODE_COMPILE_CACHE=/app/.compile-cache", ""), /NODE_COMPILE_CACHE missing/],
  ["compile cache never filled", edit(/^RUN node dist\/main\.js --help.*\n/m, ""), /no RUN fills the compile cache/],
  [
    "compile cache filled as root",
    (t) =>
      edit("USER 10001:10001\n", "RUN node dist/main.js --help > /dev/null\nUSER 10001:10001\n")(
        edit(/^RUN node dist\/main\.js --help.*\n/m, "")(t)
      ),
    /filled as the USER/
  ],
  [
    "compile cache filled before dist is copied",
    (t) =>
      edit(/^(COPY package\.json \.\/\n)/m, "RUN node dist/main.js --help > /dev/null\n$1")(
        edit(/^RUN node dist\/main\.js --help.*\n/m, "")(
          edit(/^(RUN addgroup)/m, "USER 10001:10001\n$1")(edit("USER 10001:10001\n", "")(t))
        )
      ),
    /filled before dist/
  ],
  [
    "compile cache directory not the user's",
    edit("chown 10001:10001 /cache /app/.compile-cache", "chown 10001:10001 /cache"),
    /compile cache directory \/app\/.compile-cache must be owned/
  ],
  ["NODE_ENV missing", edit("NODE_ENV=production", "NODE_ENV=development"), /NODE_ENV=production/],
  ["CACHE_FILE missing", edit("CACHE_FILE=/cache/carbon_cache.json", "CACHE_FILE=/tmp/c.json"), /CACHE_FILE/],
  ["SIGUSR1 free to open the inspector", edit(" --disable-sigusr1\"", "\""), /--disable-sigusr1/],
  ["shell-form CMD", edit(/^CMD \[.*\]$/m, "CMD node dist/main.js"), /CMD must be in exec/],
  ["npm start", edit(/^CMD \[.*\]$/m, "CMD [\"npm\", \"start\"]"), /must start with node/],
  [
    "shell wrapper",
    edit(/^CMD \[.*\]$/m, "CMD [\"node\", \"dist/main.js\"]\nENTRYPOINT [\"/bin/sh\", \"-c\"]"),
    /no npm\/shell wrapper/
  ],
  [
    "shell-form ENTRYPOINT",
    edit(/^CMD \[.*\]$/m, "ENTRYPOINT node\nCMD [\"dist/main.js\"]"),
    /ENTRYPOINT must be in exec/
  ],
  ["no CMD", edit(/^CMD \[.*\]\n?/m, ""), /no CMD\/ENTRYPOINT/],
  [
    "source maps on by default",
    edit(/^CMD \[.*\]$/m, "CMD [\"node\", \"--enable-source-maps\", \"dist/main.js\"]"),
    /--enable-source-maps/
  ],
  ["wrong script", edit(/^CMD \[.*\]$/m, "CMD [\"node\", \"dist/index.js\"]"), /must run dist\/main.js/],
  ["no HEALTHCHECK", (t) => t.replace(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, ""), /HEALTHCHECK missing/],
  [
    "shell-form HEALTHCHECK",
    edit(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, "HEALTHCHECK CMD node -e \"fetch('http://127.0.0.1:9477/healthz')\"\n"),
    /HEALTHCHECK should be/
  ],
  [
    "HEALTHCHECK with curl",
    edit(/^HEALTHCHECK[^\n]*\\\n[^\n]*\n/m, "HEALTHCHECK CMD curl -f http://127.0.0.1:9477/healthz\n"),
    /curl\/wget/
  ],
  ["HEALTHCHECK on another path", edit("/healthz',", "/readyz',"), /must hit \/healthz/],
  ["no EXPOSE", edit(/^EXPOSE 9477$/m, "EXPOSE 8080"), /EXPOSE 9477/],
  ["no OCI labels", edit(/^LABEL (.*\\\n)*.*[^\\]\n/m, ""), /org.opencontainers.image.title/],
  ["global ARG unknown (image unresolved)", edit(/^ARG NODE_IMAGE=.*$/m, "ARG OTHER=1"), /not an official node/]
]

const dockerignoreMutations: ReadonlyArray<readonly [string, (t: string) => string, RegExp]> = [
  ["node_modules not excluded", (t) => t.replace(/^(\*\*\/)?node_modules$/gm, ""), /must exclude node_modules/],
  ["nested node_modules not excluded", edit(/^\*\*\/node_modules$/m, ""), /must exclude src\/node_modules/],
  ["dist not excluded", edit(/^dist$/m, ""), /must exclude dist/],
  [".git not excluded", edit(/^\.git$/m, ""), /must exclude .git/],
  ["test not excluded", edit(/^test$/m, ""), /must exclude test/],
  ["bench not excluded", edit(/^bench$/m, ""), /must exclude bench/],
  ["lockfile excluded", (t) => `${t}\n*.json\n`, /excludes package-lock.json/],
  ["src excluded", (t) => `${t}\nsrc\n`, /excludes src/]
]

describe("Dockerfile checks can fail", () => {
  it.each(dockerfileMutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "$name",
    ({ expected, mutate }) => {
      const problems = dockerfileProblems(mutate(dockerfileText), dockerignoreText)
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )

  it.each(dockerignoreMutations.map(([name, mutate, expected]) => ({ name, mutate, expected })))(
    "$name",
    ({ expected, mutate }) => {
      const problems = dockerfileProblems(dockerfileText, mutate(dockerignoreText))
      expect(problems.some((p) => expected.test(p)), `problems: ${JSON.stringify(problems)}`).toBe(true)
    }
  )

  it("a tsconfig extending one that is not copied is reported", () => {
    const files: ContextFiles = {
      exists: diskFiles.exists,
      read: (
        rel
      ) => (rel === "tsconfig.json" ? JSON.stringify({ extends: "./tsconfig.base.json" }) : diskFiles.read(rel))
    }
    const problems = dockerfileProblems(dockerfileText, dockerignoreText, files)
    expect(problems).toContainEqual(
      expect.stringMatching(/tsconfig.json extends .\/tsconfig.base.json, which is not copied/)
    )
  })
})
