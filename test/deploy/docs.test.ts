/**
 * The docs agree with the code and with each other where a figure or a name appears in more than
 * one place: the image's base images, the benchmark's duration, the metric names, the 405's Allow
 * header, the Kubernetes client's measured cost. Each check returns its problems; each is shown to
 * fail on a doctored copy of the text it reads.
 */
import { describe, expect, it } from "vitest"
import { VARIABLES } from "../../src/config/Configuration.js"
import { ALLOWED_METHODS } from "../../src/http/HttpEndpoints.js"
import { readRepoFile } from "./documented.js"

type Texts = Readonly<Record<string, string>>

const read = (files: ReadonlyArray<string>): Texts => Object.fromEntries(files.map((f) => [f, readRepoFile(f)]))

/** The default of `ARG NAME=value` in the Dockerfile. */
const dockerfileArg = (dockerfile: string, name: string): string | undefined =>
  new RegExp(`^ARG ${name}=(\\S+)`, "m").exec(dockerfile)?.[1]

function baseImageProblems(texts: Texts): Array<string> {
  const dockerfile = texts["Dockerfile"] ?? ""
  const operations = texts["docs/operations.md"] ?? ""
  const problems: Array<string> = []
  for (const [stage, arg] of [["build", "NODE_IMAGE"], ["runtime", "RUNTIME_IMAGE"]] as const) {
    const image = dockerfileArg(dockerfile, arg)
    const documented = new RegExp(`${stage} stage\\s+\\(\`([^\`]+)\`\\)`).exec(operations)?.[1]
    if (image === undefined || documented !== image) {
      problems.push(`docs/operations.md: ${stage} stage ${documented}, the Dockerfile's ${arg} is ${image}`)
    }
  }
  return problems
}

const BENCH_DOCS = ["README.md", "bench/README.md", "docs/performance.md"] as const

/** "about N minutes" for the full run and "under N minutes" for --quick, as each file says them. */
function benchDurationProblems(texts: Texts): Array<string> {
  const figures = BENCH_DOCS.map((file) => {
    const lines = (texts[file] ?? "").split("\n").filter((l) => l.includes("bench"))
    const full = lines.map((l) => /about (\d+) minutes/.exec(l)?.[1]).find((m) => m !== undefined)
    const quick = lines.map((l) => /quick.*?under (\d+) minutes?|under (\d+) minutes?.*?quick/.exec(l))
      .map((m) => m?.[1] ?? m?.[2]).find((m) => m !== undefined)
    return { file, full, quick }
  })
  const problems = figures.flatMap(({ file, full, quick }) =>
    full === undefined || quick === undefined ? [`${file}: no "about N minutes" / --quick "under N minutes"`] : []
  )
  const first = figures[0]
  for (const f of figures.slice(1)) {
    if (f.full !== first?.full || f.quick !== first?.quick) {
      problems.push(
        `${f.file} says about ${f.full} / under ${f.quick} minutes, ${first?.file} about ${first?.full} / under ${first?.quick}`
      )
    }
  }
  return problems
}

/** Every `carbon_poller_*` name the docs list is one the service declares or renders. */
function metricNameProblems(texts: Texts): Array<string> {
  const source = `${texts["src/observability/Metrics.ts"]}\n${texts["src/observability/PrometheusExposition.ts"]}`
  const documented = ["docs/endpoints.md", "docs/cluster.md"].flatMap((file) =>
    [...(texts[file] ?? "").matchAll(/^\| `(carbon_poller_[a-z_]+)`/gm)].map((m) => [file, m[1] ?? ""] as const)
  )
  return [
    ...(documented.length === 0 ? ["no metric documented"] : []),
    ...documented.filter(([, name]) => !source.includes(`"${name}"`) && !source.includes(`${name}{`)).map((
      [file, name]
    ) => `${file}: ${name} is not a metric of the service`)
  ]
}

function allowProblems(texts: Texts): Array<string> {
  const documented = /`Allow: ([^`]+)`/.exec(texts["docs/endpoints.md"] ?? "")?.[1]
  return documented === ALLOWED_METHODS
    ? []
    : [`docs/endpoints.md: Allow: ${documented}, the service sends ${ALLOWED_METHODS}`]
}

/** The client's cost at start, in docs/cluster.md and in k8s-cluster.yaml's sizing comment. */
function kubeClientCostProblems(texts: Texts): Array<string> {
  // Comments and paragraphs wrap: lines are joined (a YAML comment's `#` dropped) before matching.
  const figure = (text: string) =>
    /Kubernetes client[^.]*?(\d+(?:\.\d+)?) s of CPU and (\d+) MiB/.exec(text.replace(/\s*\n\s*#?\s*/g, " "))
  const docs = figure(texts["docs/cluster.md"] ?? "")
  const manifest = figure(texts["k8s-cluster.yaml"] ?? "")
  if (docs === null || manifest === null) {
    return ["the Kubernetes client's cost is not stated in both docs/cluster.md and k8s-cluster.yaml"]
  }
  return docs[1] === manifest[1] && docs[2] === manifest[2]
    ? []
    : [`docs/cluster.md says ${docs[1]} s / ${docs[2]} MiB, k8s-cluster.yaml ${manifest[1]} s / ${manifest[2]} MiB`]
}

const VARIABLE_DOCS = ["docs/configuration.md", "docs/forecasts.md", "docs/cluster.md"] as const

const variableRows = (text: string | undefined): Array<string> =>
  [...(text ?? "").matchAll(/^\| `([A-Z][A-Z0-9_]*)` \|/gm)].map((m) => m[1] ?? "")

/**
 * The variable tables (configuration.md, and forecasts.md and cluster.md for their own) list
 * exactly the variables the service reads; configuration.md's in `VARIABLES`' order.
 */
function variableProblems(texts: Texts): Array<string> {
  const documented = VARIABLE_DOCS.flatMap((file) => variableRows(texts[file]))
  const isRead = (name: string) => VARIABLES.some((known) => known === name)
  const main = variableRows(texts["docs/configuration.md"]).filter(isRead)
  const expected = VARIABLES.filter((name) => main.includes(name))
  return [
    ...VARIABLES.filter((name) => !documented.includes(name)).map((name) => `${name} is read but not documented`),
    ...documented.filter((name) => !isRead(name)).map((name) => `${name} is documented but not read`),
    ...(main.join() === expected.join() ? [] : ["docs/configuration.md: the variables are not in VARIABLES' order"])
  ]
}

const texts = read([
  ...VARIABLE_DOCS,
  "Dockerfile",
  "README.md",
  "bench/README.md",
  "docs/performance.md",
  "docs/operations.md",
  "docs/endpoints.md",
  "docs/cluster.md",
  "k8s-cluster.yaml",
  "src/observability/Metrics.ts",
  "src/observability/PrometheusExposition.ts"
])

const checks = {
  "base images": baseImageProblems,
  "bench duration": benchDurationProblems,
  "metric names": metricNameProblems,
  "Allow header": allowProblems,
  "Kubernetes client cost": kubeClientCostProblems,
  "configuration variables": variableProblems
} as const

describe("the docs agree with the code and each other", () => {
  it.each(Object.entries(checks))("%s", (_name, check) => {
    expect(check(texts)).toEqual([])
  })
})

const doctored = (file: string, from: string | RegExp, to: string): Texts => {
  const text = texts[file] ?? ""
  const changed = text.replace(from, to)
  if (changed === text) throw new Error(`${file}: nothing to doctor for ${String(from)}`)
  return { ...texts, [file]: changed }
}

describe("the doc checks can fail", () => {
  // Doctored lazily: a text that already disagrees fails its own check above, not this file's loading.
  const cases: ReadonlyArray<readonly [keyof typeof checks, () => Texts, RegExp]> = [
    [
      "base images",
      () => doctored("docs/operations.md", "(`node:24-alpine`)", "(`node:24-bookworm-slim`)"),
      /runtime stage/
    ],
    ["bench duration", () => doctored("README.md", "about 5 minutes", "about 10 minutes"), /README.md about 10/],
    ["bench duration", () => doctored("bench/README.md", "under 2 minutes", "under 1 minute"), /under 1 minutes/],
    [
      "metric names",
      () => doctored("docs/cluster.md", "| `carbon_poller_leader` |", "| `carbon_poller_leading` |"),
      /leading/
    ],
    ["Allow header", () => doctored("docs/endpoints.md", "`Allow: GET, HEAD`", "`Allow: GET`"), /Allow: GET,/],
    [
      "Kubernetes client cost",
      () => doctored("k8s-cluster.yaml", "CPU and 40 MiB", "CPU and 75 MiB"),
      /k8s-cluster.yaml 0.4 s \/ 75/
    ],
    [
      "configuration variables",
      () => doctored("docs/configuration.md", "| `WATTTIME_PASSWORD_FILE` |", "| `WATTTIME_PASSWORD_PATH` |"),
      /WATTTIME_PASSWORD_FILE is read but not documented/
    ]
  ]
  it.each(cases.map(([check, doctoredTexts, expected]) => ({ check, doctoredTexts, expected })))(
    "$check",
    ({ check, doctoredTexts, expected }) => {
      const problems = checks[check](doctoredTexts())
      expect(problems.some((p) => expected.test(p)), JSON.stringify(problems)).toBe(true)
    }
  )
})
