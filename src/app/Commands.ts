/**
 * What the commands run over the services: the start line, `--once`, and `zones`. The long-running
 * service is a layer of its own (src/app/AppLayer.ts).
 */
import { Console, Effect, Option, Redacted } from "effect"
import { ApiConfig } from "../config/ApiConfig.js"
import { BasisConfig } from "../config/BasisConfig.js"
import { BudgetConfig } from "../config/BudgetConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { ConfigWarnings } from "../config/Configuration.js"
import { ForecastConfig, forecastsEnabled } from "../config/ForecastConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { UkciConfig } from "../config/UkciConfig.js"
import { WattTimeConfig } from "../config/WattTimeConfig.js"
import { describeCalls, plannedCalls } from "../domain/CallBudget.js"
import { providerName } from "../domain/ProviderFacts.js"
import { providersOf } from "../domain/ZoneChain.js"
import { Forecasts } from "../forecast/Forecasts.js"
import { VERSION } from "../platform/Version.js"
import { Poller } from "../poll/Poller.js"
import * as RunMode from "../poll/RunMode.js"
import { listsZone, listZones, ZoneCheck } from "../poll/ZoneCheck.js"
import { NoCacheWritten, NoZoneMatches } from "./FatalError.js"

/** The planned calls per provider, one line each, from the configuration alone (nothing is asked). */
export const planLines = Effect.gen(function*() {
  const polling = yield* PollingConfig
  const forecast = yield* ForecastConfig
  const { monthlyCalls } = yield* BudgetConfig
  const plan = plannedCalls({
    chains: polling.chains,
    pollIntervalMinutes: polling.pollIntervalMinutes,
    forecastRefreshMinutes: forecastsEnabled(forecast) ? forecast.forecastRefreshMinutes : undefined
  })
  return plan.map((calls) => ({ calls, line: describeCalls(calls, monthlyCalls[calls.provider]) }))
})

/** The start line: version, zones, cadence, TTL, file and API, after any configuration warnings. */
export const logStart = Effect.gen(function*() {
  const api = yield* ApiConfig
  const basis = yield* BasisConfig
  const cache = yield* CacheConfig
  const polling = yield* PollingConfig
  const urls = {
    electricitymaps: api.apiUrl,
    ukci: (yield* UkciConfig).apiUrl,
    watttime: (yield* WattTimeConfig).apiUrl
  }
  // Only the providers ZONES names: a UK-only run asks nothing of Electricity Maps, and says so.
  const named = [...providersOf(polling.chains)]
  const apis = named.map((provider) => `${providerName(provider)} ${urls[provider]}`).join(", ")
  for (const warning of yield* ConfigWarnings) yield* Effect.logWarning(warning)
  yield* Effect.log(
    `carbon-poller ${VERSION} starting: ${polling.zones.length} zones every ${polling.pollIntervalMinutes} min, TTL ${cache.cacheTtlMinutes} min, cache ${cache.cacheFile}, ${
      named.length === 1 ? "API" : "APIs"
    } ${apis}`
  ).pipe(
    Effect.annotateLogs({
      zones: polling.zones.join(","),
      providers: named.join(","),
      ...(named.includes("electricitymaps") ?
        {
          api_url: api.apiUrl,
          // Says a key is configured without saying anything about it.
          api_key: Redacted.value(api.apiKey) === "" ? "(none)" : "<redacted>"
        } :
        {}),
      ...(named.includes("ukci") ? { ukci_api_url: urls.ukci } : {}),
      ...(named.includes("watttime") ? { watttime_api_url: urls.watttime } : {}),
      signal: basis.signal,
      emission_factor_type: basis.emissionFactorType,
      max_concurrency: polling.maxConcurrency
    })
  )
  // What the plan's quotas will be spent on, before the first call is made.
  for (const { calls, line } of yield* planLines) {
    yield* Effect.log(`planned calls: ${line}`).pipe(
      Effect.annotateLogs({
        event: "call_plan",
        provider: calls.provider,
        calls_first_hour: calls.perHour,
        calls_per_30_days: calls.per30Days
      })
    )
  }
})

/**
 * One poll, then exit: 0 when a cache was written, 1 (with the reason) when not. Nothing it logs
 * promises a next poll.
 */
export const pollOnceAndExit = RunMode.once(Effect.gen(function*() {
  yield* logStart
  const plan = yield* (yield* ZoneCheck).atStart
  // One run, one file: the forecasts are asked for first so the file has them.
  const forecasts = yield* Forecasts
  yield* forecasts.usePlan(plan)
  yield* forecasts.refresh
  const summary = yield* (yield* Poller).pollOnce(plan.pollable, plan.excluded, plan.chains)
  if (Option.isNone(summary.written)) return yield* new NoCacheWritten({ summary })
}))

/** The `plan` command: the planned calls per provider per hour and per 30 days, from the configuration. */
export const printPlan = Effect.gen(function*() {
  const lines = yield* planLines
  yield* Console.log(
    [
      ...lines.map(({ line }) => line),
      "(first link of each ZONES entry per poll, forecasts per refresh when on, catalogue at start, logins; retries and fallbacks come on top only when something fails)"
    ].join("\n")
  )
})

/**
 * The `zones` command: keys and names matching a word; exits 1 when no zone matches, even when a
 * provider's note (its list needs credentials) is printed.
 */
export const printZones = Effect.fn("Commands.printZones")(function*(search: string | undefined) {
  const lines = yield* listZones(search)
  if (!lines.some(listsZone)) {
    if (lines.length > 0) yield* Console.error(lines.join("\n"))
    return yield* new NoZoneMatches({ search })
  }
  yield* Console.log(lines.join("\n"))
})
