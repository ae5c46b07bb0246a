/**
 * What each provider is, in one place: its name for people, what it spends besides one call per
 * zone and poll (the call plan, src/domain/CallPlan.ts, reads these), and the variable that caps
 * its monthly calls when its plan has a quota. The adapters in src/providers/ must behave as said
 * here: the planned calls are checked against the calls a stand-in counted.
 */
import type { ProviderCallFacts } from "./CallPlan.js"
import type { ProviderId, Signal } from "./Provider.js"

export interface ProviderFacts {
  readonly name: string
  /** The signal of its values (its adapter's `basis` says the emission factor too). */
  readonly signal: Signal
  readonly calls: ProviderCallFacts
  /** The variable holding the plan's monthly call quota, for a provider whose plan has one. */
  readonly budgetVariable?: string | undefined
}

export const PROVIDER_FACTS: Readonly<Record<ProviderId, ProviderFacts>> = {
  electricitymaps: {
    name: "Electricity Maps",
    signal: "average",
    // `/zones` once at start (asked again hourly only while a configured zone is missing from it).
    calls: { catalogueCallsAtStart: 1, forecasts: true },
    budgetVariable: "ELECTRICITY_MAPS_MONTHLY_CALLS"
  },
  ukci: {
    name: "UK Carbon Intensity API",
    signal: "average",
    // Its 18 areas are a fixed list: no catalogue call; free and keyless, so no quota either.
    calls: { catalogueCallsAtStart: 0, forecasts: true }
  },
  watttime: {
    name: "WattTime",
    signal: "marginal",
    // `/v3/my-access` once at start; a token lives 30 minutes and is renewed after 25.
    calls: { catalogueCallsAtStart: 1, loginEveryMinutes: 25, forecasts: true },
    budgetVariable: "WATTTIME_MONTHLY_CALLS"
  }
}

export const providerName = (provider: ProviderId): string => PROVIDER_FACTS[provider].name
