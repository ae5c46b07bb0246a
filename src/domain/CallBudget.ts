/**
 * The call plan of a configuration with each provider's facts, said the same way in the start-up
 * log, the `plan` command and the budget check: planned calls per provider per hour and per 30
 * days, and, for a provider whose plan has a quota, whether it fits and which intervals would.
 */
import { type CallPlanSettings, fittingIntervals, planCalls, type ProviderCalls } from "./CallPlan.js"
import type { ProviderId } from "./Provider.js"
import { PROVIDER_FACTS } from "./ProviderFacts.js"
import type { ZoneChain } from "./ZoneChain.js"

export interface PlanInputs {
  readonly chains: ReadonlyArray<ZoneChain>
  readonly pollIntervalMinutes: number
  /** Undefined when forecasts are off. */
  readonly forecastRefreshMinutes: number | undefined
}

export const callPlanSettings = (inputs: PlanInputs): CallPlanSettings => ({
  ...inputs,
  facts: (provider) => PROVIDER_FACTS[provider].calls
})

export const plannedCalls = (inputs: PlanInputs): ReadonlyArray<ProviderCalls> => planCalls(callPlanSettings(inputs))

/**
 * Thousands separated by commas (`43,201`), by hand: `toLocaleString` loads ICU's locale data, about
 * 7 MiB of resident memory for the life of the process, for one log line.
 */
const count = (n: number): string => String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",")

const zonesOf = (n: number): string => `${n} zone${n === 1 ? "" : "s"}`

/**
 * One line per provider, e.g. `Electricity Maps: 5 zones, 61 calls in the first hour, 43,201 per 30
 * days`; a provider that is also (or only) a fallback says for how many zones, and that its
 * readings for them come on top only when the links before fail.
 */
export const describeCalls = (calls: ProviderCalls, budget: number | undefined): string =>
  `${PROVIDER_FACTS[calls.provider].name}: ${zonesOf(calls.zones)}${
    calls.fallbackFor === 0
      ? ""
      : ` (and fallback for ${zonesOf(calls.fallbackFor)}: asked only when the links before fail)`
  }, ${count(calls.perHour)} calls in the first hour, ${count(calls.per30Days)} per 30 days${
    budget === undefined ? "" : ` (budget ${count(budget)})`
  }`

/** A provider whose plan exceeds its budget: what it needs and what would fit. */
export interface OverBudget {
  readonly provider: ProviderId
  readonly variable: string
  readonly budget: number
  readonly needed: number
  readonly fits:
    | { readonly pollIntervalMinutes: number; readonly forecastRefreshMinutes: number | undefined }
    | undefined
}

export const overBudget = (
  inputs: PlanInputs,
  budgets: Readonly<Partial<Record<ProviderId, number>>>
): ReadonlyArray<OverBudget> =>
  plannedCalls(inputs).flatMap((calls) => {
    const budget = budgets[calls.provider]
    const variable = PROVIDER_FACTS[calls.provider].budgetVariable
    if (budget === undefined || variable === undefined || calls.per30Days <= budget) return []
    return [{
      provider: calls.provider,
      variable,
      budget,
      needed: calls.per30Days,
      fits: fittingIntervals(callPlanSettings(inputs), calls.provider, budget)
    }]
  })

/** What the refusal says: the calls needed against the budget, and the smallest intervals that fit. */
export const describeOverBudget = (over: OverBudget): string => {
  const needs = `the plan needs ${count(over.needed)} ${PROVIDER_FACTS[over.provider].name} calls per 30 days`
  if (over.fits === undefined) {
    return `${needs}; not even the calls made at start fit in ${count(over.budget)}: configure fewer zones of it`
  }
  const refresh = over.fits.forecastRefreshMinutes === undefined
    ? ""
    : ` and FORECAST_REFRESH_MINUTES=${over.fits.forecastRefreshMinutes}`
  return `${needs}, more than ${
    count(over.budget)
  }; the smallest intervals that fit: POLL_INTERVAL_MINUTES=${over.fits.pollIntervalMinutes}${refresh}`
}
