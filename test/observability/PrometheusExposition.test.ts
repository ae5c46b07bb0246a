import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Metric, MetricBoundaries } from "effect"
import { spawnSync } from "node:child_process"
import * as Metrics from "../../src/observability/Metrics.js"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { aCache, aCacheEntry } from "../support/samples.js"

// Effect's metric registry is global: every metric here has a name of its own.
const render = Effect.flatMap(PrometheusMetrics, (metrics) => metrics.render).pipe(
  Effect.provide(PrometheusMetrics.Default.pipe(Layer.provide(PollStatus.Default)))
)

const linesOf = (text: string, name: string) => text.split("\n").filter((line) => line.includes(name))

describe("Prometheus exposition of Effect's metrics", () => {
  it.effect("write one HELP and one TYPE per metric, then every labelled series, values escaped", () =>
    Effect.gen(function*() {
      const counter = Metric.counter("carbon_poller_test_requests_total", {
        description: "Requests\nby zone \\ outcome",
        incremental: true
      })
      yield* Metrics.increment(counter, { zone: "FR" })
      yield* Metrics.increment(counter, { zone: "FR" })
      yield* Metrics.increment(counter, { zone: "say \"hi\"\\\nbye" })
      const lines = linesOf(yield* render, "carbon_poller_test_requests_total")
      assert.deepStrictEqual(lines, [
        "# HELP carbon_poller_test_requests_total Requests\\nby zone \\\\ outcome",
        "# TYPE carbon_poller_test_requests_total counter",
        "carbon_poller_test_requests_total{zone=\"FR\"} 2",
        "carbon_poller_test_requests_total{zone=\"say \\\"hi\\\"\\\\\\nbye\"} 1"
      ])
    }))

  it.effect("count the service's fetches under an outcome from a fixed set: ok or a failure reason", () =>
    Effect.gen(function*() {
      yield* Metrics.increment(Metrics.fetches, { zone: "FR", outcome: "StaleReading" })
      assert.include(
        linesOf(yield* render, "carbon_poller_fetches_total"),
        "carbon_poller_fetches_total{zone=\"FR\",outcome=\"StaleReading\"} 1"
      )
      // Checked by the compiler, never run: a word outside the set, or a label the counter lacks.
      const refused = () => [
        // @ts-expect-error "Stale" is no failure reason
        Metrics.increment(Metrics.fetches, { zone: "FR", outcome: "Stale" }),
        // @ts-expect-error fetches are not counted by status
        Metrics.increment(Metrics.fetches, { zone: "FR", outcome: "ok", status: "200" })
      ]
      assert.isFunction(refused)
    }))

  it.effect("write a histogram as cumulative buckets ending in +Inf, then _sum and _count", () =>
    Effect.gen(function*() {
      const histogram = Metric.histogram(
        "carbon_poller_test_wait_seconds",
        MetricBoundaries.fromIterable([0.5, 2]),
        "Waits"
      )
      yield* Metric.update(histogram, 0.25)
      yield* Metric.update(histogram, 1)
      yield* Metric.update(histogram, 10)
      const lines = linesOf(yield* render, "carbon_poller_test_wait_seconds")
      assert.deepStrictEqual(lines, [
        "# HELP carbon_poller_test_wait_seconds Waits",
        "# TYPE carbon_poller_test_wait_seconds histogram",
        "carbon_poller_test_wait_seconds_bucket{le=\"0.5\"} 1",
        "carbon_poller_test_wait_seconds_bucket{le=\"2\"} 2",
        "carbon_poller_test_wait_seconds_bucket{le=\"+Inf\"} 3",
        "carbon_poller_test_wait_seconds_sum 11.25",
        "carbon_poller_test_wait_seconds_count 3"
      ])
    }))

  it.effect("leave out metrics that are not the service's own (Effect's fiber counters)", () =>
    Effect.gen(function*() {
      yield* Metric.increment(Metric.counter("effect_test_internal_total"))
      const text = yield* render
      assert.notInclude(text, "effect_test_internal_total")
      assert.include(text, "carbon_poller_process_resident_memory_bytes ", "process memory is sampled at each scrape")
    }))

  it.effect("produce text that promtool accepts", () =>
    Effect.gen(function*() {
      const gauge = Metric.gauge("carbon_poller_test_level", { description: "A level" })
      yield* Metrics.set(gauge, { zone: "a\"b\\c\nd" }, Number.POSITIVE_INFINITY)
      yield* Metrics.set(gauge, { zone: "e" }, -1.5e-7)
      const text = yield* render
      const promtool = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" })
      if (promtool.error !== undefined) {
        // promtool comes with the Debian package prometheus; CI installs it.
        assert.notStrictEqual(process.env["CI"], "true", "promtool must be installed in CI")
        return
      }
      assert.strictEqual(promtool.status, 0, `${promtool.stdout}${promtool.stderr}\n${text}`)
    }))
})

describe("the per-zone intensity", () => {
  const entry = (zone: string, carbonIntensity: number, isEstimated: boolean) =>
    aCacheEntry(zone, carbonIntensity, { isEstimated })

  it.effect("follows the cache last written: a zone that left it, or flipped isEstimated, leaves no stale series", () =>
    Effect.gen(function*() {
      const status = yield* PollStatus
      const metrics = yield* PrometheusMetrics
      yield* status.written({
        cache: aCache([entry("FR", 50, true), entry("DE", 300, false)]),
        contents: "{}",
        writtenAt: 0
      })
      const first = yield* metrics.render
      assert.include(
        first,
        "carbon_poller_zone_carbon_intensity_grams_per_kwh{zone=\"DE\",emission_factor_type=\"lifecycle\",estimated=\"false\"} 300"
      )
      yield* status.written({ cache: aCache([entry("FR", 55, false)]), contents: "{}", writtenAt: 1 })
      const second = yield* metrics.render
      const series = second.split("\n").filter((line) =>
        line.startsWith("carbon_poller_zone_carbon_intensity_grams_per_kwh{")
      )
      assert.deepStrictEqual(series, [
        "carbon_poller_zone_carbon_intensity_grams_per_kwh{zone=\"FR\",emission_factor_type=\"lifecycle\",estimated=\"false\"} 55"
      ])
    }).pipe(Effect.provide(PrometheusMetrics.Default.pipe(Layer.provideMerge(PollStatus.Default)))))
})
