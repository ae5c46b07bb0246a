/**
 * Prometheus exposition (text format 0.0.4) of the metrics declared with Effect's `Metric` API
 * (src/observability/Metrics.ts), rendered straight from Effect's own registry snapshot.
 *
 * Why no library: the OpenTelemetry bridge and exporter cost ~600 KiB of bundle, ~70 ms of start-up
 * and ~13 MiB of RSS in a sidecar that must stay small; prom-client (the one maintained Node client)
 * costs ~35 ms and ~12 MiB to load and keeps a registry of its own, into which Effect's histogram
 * state (cumulative buckets, count, sum) cannot be copied, only re-observed. The text format of
 * counters, gauges and histograms is a few lines; `promtool check metrics` validates the output in
 * the test suite.
 */
import { Effect, Metric, MetricState, Option } from "effect"
import type * as MetricPair from "effect/MetricPair"
import type { CacheFile } from "../domain/CacheFile.js"
import { PollStatus } from "../poll/PollStatus.js"
import * as Metrics from "./Metrics.js"

const METRIC_PREFIX = "carbon_poller_"

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

/** Memory as of the scrape: what an operator sizes the sidecar's limits from. */
const sampleProcessMemory = Effect.suspend(() => {
  const usage = process.memoryUsage()
  return Effect.all([
    Metrics.set(Metrics.residentMemory, {}, usage.rss),
    Metrics.set(Metrics.heapUsed, {}, usage.heapUsed)
  ])
})

interface Family {
  readonly type: "counter" | "gauge" | "histogram"
  readonly help: string
  readonly samples: Array<string>
}

/**
 * One `# HELP`/`# TYPE` block per metric name, its series beneath in registry order. Only the
 * service's own series: Effect's internal fiber counters would add cardinality to every scrape.
 */
export const renderSnapshot = (pairs: ReadonlyArray<MetricPair.MetricPair.Untyped>): string => {
  const families = new Map<string, Family>()
  for (const { metricKey, metricState } of pairs) {
    const name = metricKey.name
    if (!name.startsWith(METRIC_PREFIX)) continue
    const labels = metricKey.tags.map((tag): readonly [string, string] => [tag.key, tag.value])
    const sampled = samplesOf(name, labels, metricState)
    if (sampled === undefined) continue
    const family = families.get(name) ??
      { type: sampled.type, help: Option.getOrElse(metricKey.description, () => name), samples: [] }
    for (const line of sampled.lines) family.samples.push(line)
    families.set(name, family)
  }
  const blocks = [...families].map(([name, family]) =>
    [`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`, ...family.samples].join("\n")
  )
  return blocks.length === 0 ? "" : `${blocks.join("\n")}\n`
}

type Labels = ReadonlyArray<readonly [string, string]>

const samplesOf = (
  name: string,
  labels: Labels,
  state: MetricState.MetricState.Untyped
): { readonly type: Family["type"]; readonly lines: Array<string> } | undefined => {
  if (MetricState.isCounterState(state)) return { type: "counter", lines: [sample(name, labels, state.count)] }
  if (MetricState.isGaugeState(state)) return { type: "gauge", lines: [sample(name, labels, state.value)] }
  if (MetricState.isHistogramState(state)) return { type: "histogram", lines: histogramLines(name, labels, state) }
  // Frequencies and summaries are not declared by the service; nothing to expose.
  return undefined
}

/** Cumulative `_bucket` series ending in `le="+Inf"` (equal to the count), then `_sum` and `_count`. */
const histogramLines = (name: string, labels: Labels, state: MetricState.MetricState.Histogram): Array<string> => {
  const finite = state.buckets.filter(([boundary]) => Number.isFinite(boundary))
  return [
    ...finite.map(([boundary, cumulative]) =>
      sample(`${name}_bucket`, [...labels, ["le", formatNumber(boundary)]], cumulative)
    ),
    sample(`${name}_bucket`, [...labels, ["le", "+Inf"]], state.count),
    sample(`${name}_sum`, labels, state.sum),
    sample(`${name}_count`, labels, state.count)
  ]
}

const sample = (name: string, labels: Labels, value: number | bigint): string =>
  labels.length === 0
    ? `${name} ${formatNumber(value)}`
    : `${name}{${labels.map(([key, v]) => `${key}="${escapeLabelValue(v)}"`).join(",")}} ${formatNumber(value)}`

/** JavaScript's own number syntax is Go's float syntax too (`Infinity`, `NaN`, `1e-7`), which Prometheus parses. */
const formatNumber = (value: number | bigint): string => String(value)

const escapeLabelValue = (value: string): string =>
  value.replace(/\\/g, "\\\\").replace(/"/g, "\\\"").replace(/\n/g, "\\n")

const escapeHelp = (text: string): string => text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n")

/** One series per zone of the cache last written: labels from fixed sets, never a stale zone. */
export const renderZoneIntensities = (cache: CacheFile | undefined): string => {
  const zones = cache === undefined ? [] : cache.sorted_by_carbon
  if (zones.length === 0) return ""
  const lines = zones.flatMap((zone) => {
    const entry = cache?.regions[zone]
    if (entry === undefined) return []
    const labels: Labels = [["zone", zone], ["emission_factor_type", entry.emissionFactorType], [
      "estimated",
      String(entry.isEstimated)
    ]]
    return [sample(Metrics.CARBON_INTENSITY.name, labels, entry.carbonIntensity)]
  })
  return [
    `# HELP ${Metrics.CARBON_INTENSITY.name} ${escapeHelp(Metrics.CARBON_INTENSITY.help)}`,
    `# TYPE ${Metrics.CARBON_INTENSITY.name} gauge`,
    ...lines
  ].join("\n") + "\n"
}

/** `render`: the current metrics as a scrape body, process memory sampled first. */
export class PrometheusMetrics extends Effect.Service<PrometheusMetrics>()("carbon-poller/PrometheusMetrics", {
  effect: Effect.gen(function*() {
    const status = yield* PollStatus
    const render: Effect.Effect<string> = Effect.suspend(() => Effect.zipRight(sampleProcessMemory, Metric.snapshot))
      .pipe(
        Effect.map(renderSnapshot),
        Effect.zipWith(
          status.get,
          (text, snapshot) =>
            text +
            renderZoneIntensities(Option.getOrUndefined(Option.map(snapshot.lastWrite, (written) => written.cache)))
        )
      )
    return { render } as const
  })
}) {}
