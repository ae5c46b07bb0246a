/**
 * The service's metrics, declared once with Effect's `Metric` API and exposed on `/metrics`.
 * Names follow Prometheus conventions: a `carbon_poller_` prefix, base units in the name,
 * `_total` for counters.
 */
import { Metric, MetricBoundaries, MetricLabel } from "effect"
import type { ProviderId } from "../domain/Provider.js"
import type { ForecastFailureReason } from "../forecast/ForecastState.js"
import type { FailureReason } from "../ports/CarbonSource.js"

type Labels = Readonly<Record<string, string>>

/**
 * A counter whose labels have a fixed shape, each value from a known set where it names a kind
 * (an outcome, a reason), so the series stay few and a typo cannot start a new one.
 */
export interface LabelledCounter<L extends Labels> extends Metric.Metric.Counter<number> {
  /** Type-level only: the labels `increment` accepts. */
  readonly labelsOf?: L
}

/**
 * The per-zone intensity is not kept in the registry: it is rendered at scrape time from the cache
 * last written (src/observability/PrometheusExposition.ts), so a zone that left the cache, or whose `isEstimated`
 * flipped, leaves no stale series behind.
 */
export const CARBON_INTENSITY = {
  name: "carbon_poller_zone_carbon_intensity_grams_per_kwh",
  help: "Carbon intensity per zone in the cache last written (fresh or kept), in gCO2eq/kWh"
} as const

export const fetches: LabelledCounter<{ readonly zone: string; readonly outcome: "ok" | FailureReason }> = Metric
  .counter("carbon_poller_fetches_total", {
    description: "Zone fetches by zone and outcome (ok or the failure reason), after retries",
    incremental: true
  })

export const retries: LabelledCounter<{ readonly zone: string; readonly reason: FailureReason }> = Metric.counter(
  "carbon_poller_fetch_retries_total",
  {
    description:
      "Retried requests to a provider, by zone (as the provider knows it) and the reason of the failed attempt",
    incremental: true
  }
)

/** What a request to a provider is for: the kinds its plan's quota is spent on. */
export type ProviderCallKind = "latest" | "forecast" | "catalogue" | "login"

export const providerCalls: LabelledCounter<{ readonly provider: ProviderId; readonly kind: ProviderCallKind }> = Metric
  .counter("carbon_poller_provider_calls_total", {
    description:
      "HTTP requests sent to each provider (electricitymaps, ukci, watttime) by kind: latest, forecast, catalogue, login; retries included",
    incremental: true
  })

export const providerFailures: LabelledCounter<{ readonly provider: ProviderId; readonly reason: FailureReason }> =
  Metric.counter("carbon_poller_provider_failures_total", {
    description:
      "Latest readings a provider did not give, after retries, by provider and reason (refusals by the truthfulness rules included)",
    incremental: true
  })

export const fallbacks: LabelledCounter<{ readonly provider: ProviderId }> = Metric.counter(
  "carbon_poller_fallbacks_total",
  {
    description: "Zones whose value came from a later link of their ZONES chain, by the provider that answered",
    incremental: true
  }
)

export const pollDuration = Metric.histogram(
  "carbon_poller_poll_duration_seconds",
  MetricBoundaries.fromIterable([0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120]),
  "Wall time of one poll: fetch every zone, rank, write"
)

export const polls: LabelledCounter<{ readonly outcome: "written" | "nothing_usable" | "write_failed" }> = Metric
  .counter("carbon_poller_polls_total", {
    description: "Polls by outcome: written, nothing_usable, write_failed",
    incremental: true
  })

export const lastWriteTimestamp = Metric.gauge("carbon_poller_last_write_timestamp_seconds", {
  description: "Unix time of the last successful cache write"
})

export const cacheWriteFailures = Metric.counter("carbon_poller_cache_write_failures_total", {
  description: "Cache writes that failed (the previous file was left intact)",
  incremental: true
})

export const zonesConfigured = Metric.gauge("carbon_poller_zones_configured", {
  description: "Zones the service polls"
})

export const zonesUsable = Metric.gauge("carbon_poller_zones_usable", {
  description: "Zones in the last written cache (fresh or still within TTL)"
})

export const forecastFetches: LabelledCounter<
  { readonly zone: string; readonly outcome: "ok" | ForecastFailureReason }
> = Metric.counter("carbon_poller_forecast_fetches_total", {
  description:
    "Forecast fetches by zone and outcome: ok, the failure reason, or why the forecast was refused (after retries)",
  incremental: true
})

export const bestWindowCarbonIntensity = Metric.gauge("carbon_poller_best_window_carbon_intensity_grams_per_kwh", {
  description: "Forecast mean carbon intensity of the best window over all zones, per window length in minutes"
})

export const bestWindowStart = Metric.gauge("carbon_poller_best_window_start_timestamp_seconds", {
  description: "Unix time at which the best window over all zones starts, per window length in minutes"
})

export const residentMemory = Metric.gauge("carbon_poller_process_resident_memory_bytes", {
  description: "Resident set size of the process, sampled at scrape time"
})

export const heapUsed = Metric.gauge("carbon_poller_process_heap_used_bytes", {
  description: "V8 heap in use, sampled at scrape time"
})

/** Adds one to a counter under the given labels (of the counter's shape, when it declares one). */
export const increment = <L extends Labels>(
  counter: LabelledCounter<L>,
  labels: NoInfer<L>
) => Metric.update(Metric.taggedWithLabels(counter, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))), 1)

/** Sets a gauge under the given labels. */
export const set = (gauge: Metric.Metric.Gauge<number>, labels: Readonly<Record<string, string>>, value: number) =>
  Metric.set(Metric.taggedWithLabels(gauge, Object.entries(labels).map(([k, v]) => MetricLabel.make(k, v))), value)

export const leader = Metric.gauge("carbon_poller_leader", {
  description: "1 while this replica leads (polls and publishes), 0 while it follows; always 1 for a sidecar"
})

export const leadershipTransitions = Metric.gauge("carbon_poller_leadership_transitions", {
  description: "How often this replica became leader or stopped being one since it started"
})

export const publishes: LabelledCounter<
  { readonly outcome: "published" | "conflict" | "not_leader" | "too_large" | "failed" }
> = Metric.counter("carbon_poller_configmap_publishes_total", {
  description: "Publishes of the cache to the ConfigMap by outcome: published, conflict, not_leader, too_large, failed",
  incremental: true
})

export const mirrorLag = Metric.gauge("carbon_poller_mirror_lag_seconds", {
  description: "Age of the published cache this replica last mirrored into CACHE_FILE, when it mirrored it"
})

export const kedaPublishes = Metric.counter("carbon_poller_keda_publishes_total", {
  description:
    "Writes of the KEDA forecast ConfigMap by outcome: published, kept (the last forecast, with a message), nothing_yet, or the failure reason",
  incremental: true
})
