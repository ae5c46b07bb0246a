/**
 * Prometheus exposition of the metrics declared with Effect's `Metric` API (src/Metrics.ts),
 * through OpenTelemetry's maintained Prometheus serializer rather than a hand-written format:
 * `@effect/opentelemetry` bridges Effect's registry into an OpenTelemetry `MetricReader`, and the
 * Prometheus exporter (with its own HTTP server disabled) renders the text on demand.
 */
import * as OtelMetrics from "@effect/opentelemetry/Metrics"
import * as OtelResource from "@effect/opentelemetry/Resource"
import { PrometheusExporter, PrometheusSerializer } from "@opentelemetry/exporter-prometheus"
import { Effect, Layer } from "effect"
import * as Metrics from "./Metrics.js"

const METRIC_PREFIX = "carbon_poller_"

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

export class PrometheusMetrics extends Effect.Service<PrometheusMetrics>()("carbon-poller/PrometheusMetrics", {
  scoped: Effect.gen(function*() {
    // No server of its own: /metrics is served by the service's HTTP endpoints.
    const reader = new PrometheusExporter({ preventServerStart: true })
    yield* Layer.buildWithScope(
      OtelMetrics.layer(() => reader).pipe(Layer.provide(OtelResource.layer({ serviceName: "carbon-poller" }))),
      yield* Effect.scope
    )
    // No target_info/otel_scope series: a sidecar's scrape should hold only what it measures.
    const serializer = new PrometheusSerializer(undefined, false, undefined, true, true)
    const render: Effect.Effect<string> = sampleProcessMemory.pipe(
      Effect.zipRight(Effect.promise(() => reader.collect())),
      Effect.map(({ resourceMetrics }) =>
        serializer.serialize({
          ...resourceMetrics,
          // Only the service's own series: Effect's internal fiber counters carry no descriptions
          // and would only add cardinality to every scrape.
          scopeMetrics: resourceMetrics.scopeMetrics.map((scope) => ({
            ...scope,
            metrics: scope.metrics.filter((metric) => metric.descriptor.name.startsWith(METRIC_PREFIX))
          }))
        })
      ),
      Effect.map(withoutUnitLines)
    )
    return { render } as const
  })
}) {}

/** Memory as of the scrape: what an operator sizes the sidecar's limits from. */
const sampleProcessMemory = Effect.suspend(() => {
  const usage = process.memoryUsage()
  return Effect.all([
    Metrics.set(Metrics.residentMemory, {}, usage.rss),
    Metrics.set(Metrics.heapUsed, {}, usage.heapUsed)
  ])
})

/**
 * The bridge gives every instrument the unit "1" and the serializer prints it as an OpenMetrics
 * `# UNIT` line: not part of the 0.0.4 text format served here, and "1" is wrong for seconds.
 * The units are in the metric names instead (`_seconds`, `_grams_per_kwh`).
 */
const withoutUnitLines = (text: string): string =>
  text
    .split("\n")
    .filter((line) => !line.startsWith("# UNIT "))
    .join("\n")
