/**
 * The KEDA forecast ConfigMap in the running service (the poll loop, the forecast refresher and the
 * outputs as src/app/AppLayer.ts assembles them), over hours of TestClock time: at every step the
 * operator, reading with its own decoder, finds a record for every minute until the next step; and
 * an API server that refuses leaves the polls as they were.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Fiber, Option, TestClock } from "effect"
import { KubeError } from "../../../src/cluster/KubeClient.js"
import { RECORDS_KEY } from "../../../src/outputs/keda/ExporterFormat.js"
import { PollStatus } from "../../../src/poll/PollStatus.js"
import { at, HOUR, MINUTE } from "../../forecast/support.js"
import { respond } from "../../support/FakeApi.js"
import { forecastBody } from "../../support/fixtures.js"
import { makeHarness } from "../../support/harness.js"
import { memoryKubeClient } from "../../support/kube/MemoryKubeClient.js"
import { findCarbonForecast, unmarshalCarbonForecasts } from "./operator.js"

const START = at("2024-03-06T10:00:00Z")
const WHERE = "carbon-aware/carbon-intensity"
const HOURS = 4

/** A real forecast starts at the current hour: refresh `i` (one an hour) answers from hour `i`. */
const hourlyForecasts = Array.from({ length: HOURS + 1 }, (_, i) =>
  respond(
    200,
    forecastBody(
      "DE",
      new Date(START + i * HOUR).toISOString(),
      Array.from({ length: 24 }, (_, h) => 200 + ((i + h) % 5) * 50)
    )
  ))

const service = () => {
  const kube = memoryKubeClient()
  const h = makeHarness({
    api: {
      intensities: { DE: 300, FR: 50 },
      forecasts: { FR: forecastBody("FR", new Date(START).toISOString(), Array.from({ length: 72 }, () => 60)) },
      forecastScripts: { DE: hourlyForecasts }
    },
    settings: {
      zones: ["DE", "FR"],
      forecastWindowsMinutes: [60],
      keda: Option.some({
        configMap: { namespace: "carbon-aware", name: "carbon-intensity" },
        zone: "DE",
        kubeconfigPath: Option.none()
      })
    },
    kube: kube.layer
  })
  const records = () =>
    unmarshalCarbonForecasts(
      Buffer.from(kube.controls.configMaps.get(WHERE)?.binaryData?.[RECORDS_KEY] ?? "null", "base64")
    )
  return { kube, h, records }
}

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

describe("the KEDA ConfigMap in the running service", () => {
  it.effect(`has a record for every minute, at every step of ${HOURS} hours of polls and forecast refreshes`, () => {
    const s = service()
    return Effect.gen(function*() {
      yield* TestClock.setTime(START + 30_000)
      const loop = yield* Effect.fork(s.h.launch)
      yield* TestClock.adjust("1 millis")
      const versions = new Set<string>()
      for (let step = 0; step < (HOURS * 60) / 5; step++) {
        const t = yield* now
        const records = s.records()
        for (let minute = 0; minute < 5; minute++) {
          const found = findCarbonForecast(records, t + minute * MINUTE)
          assert.strictEqual(found?.location, "DE", `no record for ${new Date(t + minute * MINUTE).toISOString()}`)
        }
        // Hour k's value, whether from the refresh at k or the one before (both forecast it alike).
        const hour = Math.floor((t - START) / HOUR)
        assert.strictEqual(findCarbonForecast(records, t)?.value, 200 + (hour % 5) * 50)
        versions.add(s.kube.controls.configMaps.get(WHERE)?.metadata?.resourceVersion ?? "")
        yield* TestClock.adjust("5 minutes")
      }
      // Updated after every poll; and the past the operator looks back on is there.
      assert.isAtLeast(versions.size, (HOURS * 60) / 5)
      const records = s.records()
      assert.strictEqual(records[0]?.timestamp, START)
      assert.isDefined(findCarbonForecast(records, (yield* now) - (HOURS - 1) * HOUR))
      yield* Fiber.interrupt(loop)
    })
  })

  it.effect("an API server that refuses for an hour leaves every poll as it was; the next publish after writes", () => {
    const s = service()
    const body = Effect.gen(function*() {
      const polls = yield* PollStatus
      yield* TestClock.adjust("1 millis")
      const before = s.kube.controls.configMaps.get(WHERE)?.metadata?.resourceVersion
      assert.isDefined(before)
      s.kube.controls.block = Effect.fail(
        new KubeError({ reason: "Forbidden", operation: "replace configmap", status: 403, detail: "denied" })
      )
      const files = new Set<string>()
      const writes = new Set<number>()
      for (let step = 0; step < 12; step++) {
        yield* TestClock.adjust("5 minutes")
        writes.add(Option.getOrThrow((yield* polls.get).lastWrite).writtenAt)
        files.add(s.h.memory.read("/cache/carbon_cache.json") ?? "")
      }
      assert.strictEqual(files.size, 12, "every poll wrote a new cache file")
      assert.strictEqual(writes.size, 12, "every poll recorded its write")
      assert.strictEqual(s.kube.controls.configMaps.get(WHERE)?.metadata?.resourceVersion, before)
      assert.isTrue(s.h.logLines.some((line) => line.includes(`"event":"keda"`) && line.includes("(Forbidden)")))
      assert.isFalse(s.h.logLines.some((line) => /write_failed|cannot write/.test(line)))
      s.kube.controls.block = undefined
      yield* TestClock.adjust("5 minutes")
      assert.notStrictEqual(s.kube.controls.configMaps.get(WHERE)?.metadata?.resourceVersion, before)
      assert.isDefined(findCarbonForecast(s.records(), yield* now))
    })
    // The clock is set before the service is built, as in production where it starts at the wall time.
    return Effect.zipRight(TestClock.setTime(START + 30_000), s.h.serving(body))
  })
})
