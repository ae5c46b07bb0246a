/**
 * The KEDA and Prometheus examples in the README and in docs/consumers.md, as written there: each
 * ScaledObject validates against KEDA's CRD fields and its `valueLocation` finds the zone's value
 * in a real `/cache` body the way KEDA's GJSON does; each set of Prometheus rules uses only metrics
 * the service declares, passes `promtool check rules` and fires (and stays quiet) in
 * `promtool test rules`. promtool comes with Debian's prometheus package, which CI installs;
 * elsewhere its checks are skipped with a warning.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { spawnSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"
import { parse, stringify } from "yaml"
import { Poller } from "../../src/poll/Poller.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { gjsonEscape, gjsonGet, gjsonKeys } from "../support/gjson.js"
import { makeHarness } from "../support/harness.js"
import { clusterManifestObjects, manifestEnv } from "../support/kube/clusterManifest.js"
import { decodeStrict, ScaledObject } from "./crdSchemas.js"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")
/** Every document with checked examples; each must have both blocks. */
const DOCS = ["README.md", "docs/consumers.md"] as const
type Doc = typeof DOCS[number]
const texts: Record<Doc, string> = {
  "README.md": readFileSync(path.join(root, "README.md"), "utf8"),
  "docs/consumers.md": readFileSync(path.join(root, "docs/consumers.md"), "utf8")
}

/** The YAML block right after `<!-- checked: NAME -->`. */
const checkedBlock = (docName: Doc, name: string): string => {
  const doc = texts[docName]
  const at = doc.indexOf(`<!-- checked: ${name} -->`)
  const block = /```yaml\n([\s\S]*?)```/.exec(doc.slice(at))
  if (at < 0 || block?.[1] === undefined) throw new Error(`${docName} has no checked block ${name}`)
  return block[1]
}

const isRecord = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/** A `/cache` body as the service serves it, after one poll of these zones over the fake API. */
const cacheBody = (zones: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const h = makeHarness({
      api: { intensities: Object.fromEntries(zones.map((zone, i) => [zone, 100 + i * 111.5])) },
      settings: { zones }
    })
    return yield* h.run(Effect.gen(function*() {
      yield* (yield* Poller).pollOnce(zones)
      return Option.getOrThrow((yield* (yield* PollStatus).get).lastWrite).contents
    }))
  })

describe.each(DOCS)("the ScaledObject for KEDA's metrics-api scaler in %s", (docName) => {
  const scaledObject = decodeStrict(ScaledObject)(parse(checkedBlock(docName, "scaledobject")))
  const spec = Either.isRight(scaledObject) ? scaledObject.right.spec : undefined
  const carbon = spec?.triggers.find((t) => t.type === "metrics-api")

  it("validates against KEDA's ScaledObject CRD", () => {
    assert.strictEqual(Either.isLeft(scaledObject) ? scaledObject.left.message : "ok", "ok")
  })

  it("reads /cache through the Service of k8s-keda.yaml, as JSON", () => {
    const service = clusterManifestObjects(readFileSync(path.join(root, "k8s-keda.yaml"), "utf8"))
      .find((o) => o["kind"] === "Service")
    const meta = isRecord(service?.["metadata"]) ? service["metadata"] : {}
    const url = new URL(carbon?.metadata["url"] ?? "")
    assert.strictEqual(url.hostname, `${String(meta["name"])}.${String(meta["namespace"])}.svc.cluster.local`)
    assert.strictEqual(url.port, "9477")
    assert.strictEqual(url.pathname, "/cache")
    assert.strictEqual(carbon?.metadata["format"] ?? "json", "json")
  })

  it("gates on triggers it names: the formula uses exactly the trigger names", () => {
    const names = (spec?.triggers ?? []).map((t) => t.name ?? "")
    const formula = spec?.advanced?.scalingModifiers?.formula ?? ""
    const used = formula.match(/[A-Za-z_][A-Za-z0-9_]*/g) ?? []
    assert.deepStrictEqual([...new Set(used)].sort(), [...names].sort())
    assert.isDefined(spec?.advanced?.scalingModifiers?.target, "a formula needs a target")
  })

  it.effect("its valueLocation finds the zone's value in a real /cache body, as GJSON does", () =>
    Effect.gen(function*() {
      const valueLocation = carbon?.metadata["valueLocation"] ?? ""
      const zone = gjsonKeys(valueLocation)?.[1] ?? ""
      assert.include(manifestEnv("ZONES", clusterManifestObjects()).split(","), zone)
      assert.strictEqual(valueLocation, `regions.${gjsonEscape(zone)}.carbonIntensity`)
      const body: unknown = JSON.parse(yield* cacheBody([zone, "DE"]))
      const value = gjsonGet(body, valueLocation)
      assert.strictEqual(typeof value, "number")
      assert.strictEqual(value, 100)
    }))
})

describe("valueLocation for every form of zone key", () => {
  const rows = [...texts["docs/consumers.md"].matchAll(/^\| `([^`]+)` \| `(regions\.[^`]+)` \|$/gm)].map((m) =>
    [m[1] ?? "", m[2] ?? ""] as const
  )

  it("the documented table covers Electricity Maps, UK and WattTime keys", () => {
    assert.deepStrictEqual(rows.map(([zone]) => zone), ["US-CAL-CISO", "ukci:13", "watttime:CAISO_NORTH"])
  })

  it.effect("each documented path, and the escaped one for a key with a dot, finds that zone's value", () =>
    Effect.gen(function*() {
      // A real body, its zone keys renamed to each form (the file's shape does not depend on the key).
      const real: unknown = JSON.parse(yield* cacheBody(["US-CAL-CISO"]))
      const regions = isRecord(real) && isRecord(real["regions"]) ? real["regions"] : {}
      const entry = regions["US-CAL-CISO"]
      for (const [zone, valueLocation] of [...rows, ["a.b", "regions.a\\.b.carbonIntensity"] as const]) {
        const body = { ...(isRecord(real) ? real : {}), regions: { [zone]: entry, other: entry } }
        assert.strictEqual(valueLocation, `regions.${gjsonEscape(zone)}.carbonIntensity`, zone)
        assert.strictEqual(gjsonGet(body, valueLocation), 100, zone)
      }
      // Unescaped, the dot splits the key and finds nothing: the escape is needed.
      const dotted = { regions: { "a.b": entry } }
      assert.isUndefined(gjsonGet(dotted, "regions.a.b.carbonIntensity"))
    }))
})

describe("our reading of GJSON", () => {
  // The examples of GJSON's own path syntax document.
  const json = {
    name: { first: "Tom", last: "Anderson" },
    age: 37,
    children: ["Sara", "Alex", "Jack"],
    "fav.movie": "Deer Hunter",
    friends: [{ first: "Dale" }, { first: "Roger" }]
  }

  it("resolves its basic and escaped examples", () => {
    assert.strictEqual(gjsonGet(json, "name.last"), "Anderson")
    assert.strictEqual(gjsonGet(json, "age"), 37)
    assert.strictEqual(gjsonGet(json, "children.1"), "Alex")
    assert.strictEqual(gjsonGet(json, "friends.1.first"), "Roger")
    assert.strictEqual(gjsonGet(json, "fav\\.movie"), "Deer Hunter")
  })

  it("refuses wildcards, pipes, array queries and modifiers instead of guessing", () => {
    for (const path of ["child*.2", "c?ildren.0", "children|@reverse", "friends.#", "@this", "!true"]) {
      assert.isUndefined(gjsonKeys(path), path)
    }
  })

  it("escapes as GJSON's Escape does: letters, digits, _, - and : stand", () => {
    assert.strictEqual(gjsonEscape("US-CAL-CISO"), "US-CAL-CISO")
    assert.strictEqual(gjsonEscape("watttime:CAISO_NORTH"), "watttime:CAISO_NORTH")
    assert.strictEqual(gjsonEscape("first.name"), "first\\.name")
    assert.strictEqual(gjsonEscape("a*b?c|d"), "a\\*b\\?c\\|d")
  })
})

// ---------------------------------------------------------------------------------------------
// Prometheus

const INTENSITY = "carbon_poller_zone_carbon_intensity_grams_per_kwh"
const RECORDED = `zone:${INTENSITY}:max`

const series = (labels: string, values: string) => ({ series: `${INTENSITY}{${labels}}`, values })
const firing = (evalTime: string, alertname: string, labels: Record<string, string>, summary: string) => ({
  eval_time: evalTime,
  alertname,
  exp_alerts: [{ exp_labels: labels, exp_annotations: { summary } }]
})
const silent = (evalTime: string, alertname: string) => ({ eval_time: evalTime, alertname, exp_alerts: [] })
const allUnitTests = {
  rule_files: ["rules.yml"],
  evaluation_interval: "1m",
  tests: [
    {
      // Two replicas scraped, one value estimated: one series per zone, the higher value.
      interval: "1m",
      input_series: [
        series(`zone="US-CAL-CISO",emission_factor_type="lifecycle",estimated="false",instance="a"`, "450x60"),
        series(`zone="US-CAL-CISO",emission_factor_type="lifecycle",estimated="true",instance="b"`, "440x60"),
        series(`zone="DE",emission_factor_type="lifecycle",estimated="false",instance="a"`, "300x60")
      ],
      promql_expr_test: [{
        expr: RECORDED,
        eval_time: "10m",
        exp_samples: [{ labels: `${RECORDED}{zone="DE"}`, value: 300 }, {
          labels: `${RECORDED}{zone="US-CAL-CISO"}`,
          value: 450
        }]
      }],
      alert_rule_test: [
        silent("20m", "CarbonIntensityHigh"),
        firing(
          "45m",
          "CarbonIntensityHigh",
          { severity: "info", zone: "US-CAL-CISO" },
          "The grid of US-CAL-CISO is above 400 gCO2eq/kWh"
        ),
        silent("45m", "CarbonIntensityMissing")
      ]
    },
    {
      // The zone left the cache; the KEDA ConfigMap is refused by the API server, then written again.
      interval: "1m",
      input_series: [
        series(`zone="DE",emission_factor_type="lifecycle",estimated="false",instance="a"`, "300x60"),
        { series: `carbon_poller_keda_publishes_total{outcome="Forbidden"}`, values: "0+1x30 30x30" },
        { series: `carbon_poller_keda_publishes_total{outcome="published"}`, values: "0x30 1+1x30" }
      ],
      alert_rule_test: [
        firing(
          "30m",
          "CarbonIntensityMissing",
          { severity: "warning", zone: "US-CAL-CISO" },
          "No carbon intensity for US-CAL-CISO in the cache"
        ),
        firing(
          "29m",
          "CarbonPollerKedaPublishFailing",
          { severity: "warning", outcome: "Forbidden" },
          "The KEDA forecast ConfigMap is not being updated (Forbidden)"
        ),
        silent("60m", "CarbonPollerKedaPublishFailing")
      ]
    }
  ]
}

/** The unit tests for the alerts `rulesText` defines (the README's rules are a subset of the page's). */
const unitTestsFor = (rulesText: string) => {
  const alerts = new Set([...rulesText.matchAll(/alert: (\w+)/g)].map((m) => m[1]))
  return {
    ...allUnitTests,
    tests: allUnitTests.tests
      .map((test) => ({ ...test, alert_rule_test: test.alert_rule_test.filter((t) => alerts.has(t.alertname)) }))
      .filter((test) => test.alert_rule_test.length > 0)
  }
}

/** Runs promtool in a directory holding the rules and their unit tests; None where promtool is missing. */
const promtool = (rulesText: string, args: ReadonlyArray<string>) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "keda-rules-"))
  try {
    writeFileSync(path.join(dir, "rules.yml"), rulesText)
    writeFileSync(path.join(dir, "rules.test.yml"), stringify(unitTestsFor(rulesText)))
    const run = spawnSync("promtool", [...args], { cwd: dir, encoding: "utf8" })
    if (run.error !== undefined) {
      assert.notStrictEqual(process.env["CI"], "true", "promtool must be installed in CI (see .ci/run)")
      console.warn("promtool not installed here (Debian package prometheus); the check runs in CI")
      return Option.none<{ status: number | null; output: string }>()
    }
    return Option.some({ status: run.status, output: `${run.stdout}${run.stderr}` })
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

describe.each(DOCS)("the Prometheus rules in %s", (docName) => {
  const rulesText = checkedBlock(docName, "prometheus-rules")

  it("use only the metrics the service declares and documents", () => {
    const metrics = readFileSync(path.join(root, "src/observability/Metrics.ts"), "utf8")
    const endpoints = readFileSync(path.join(root, "docs/endpoints.md"), "utf8")
    const used = new Set(rulesText.match(/\bcarbon_poller_[a-z_]+/g) ?? [])
    assert.isAbove(used.size, 0)
    for (const name of used) {
      assert.include(metrics, `"${name}"`, name)
      assert.include(endpoints, `\`${name}\``, name)
    }
  })

  it("pass promtool check rules", () => {
    Option.map(
      promtool(rulesText, ["check", "rules", "rules.yml"]),
      ({ output, status }) => assert.strictEqual(status, 0, output)
    )
  })

  it("fire when they should and stay quiet otherwise (promtool test rules)", () => {
    Option.map(
      promtool(rulesText, ["test", "rules", "rules.test.yml"]),
      ({ output, status }) => assert.strictEqual(status, 0, output)
    )
  })
})
