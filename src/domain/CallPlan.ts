/**
 * The calls a configuration will make, per provider: what a plan's monthly quota is spent on.
 * Pure arithmetic over the settings, so the start-up log, the `plan` command and the budget check
 * say the same, and a test can hold it against the calls a stand-in counted.
 *
 * Counted: each first link's `latest` per poll, each zone's forecast per refresh (when forecasts
 * are on), the catalogue asked at start (of every provider ZONES names, fallbacks included), and
 * logins (a provider whose token expires). Not counted: retries and fallback links' readings,
 * which are spent only when something fails.
 */
import type { ProviderId } from "./Provider.js"
import type { ZoneChain } from "./ZoneChain.js"

export const MINUTES_PER_30_DAYS = 30 * 24 * 60

/** What a provider spends besides one call per zone and poll. */
export interface ProviderCallFacts {
  /** Catalogue calls at start (`/zones`, `/v3/my-access`); 0 for a built-in list. */
  readonly catalogueCallsAtStart: number
  /** Minutes between logins, for a provider whose token expires; undefined when there is none. */
  readonly loginEveryMinutes?: number | undefined
  /** Whether this provider is asked for forecasts when forecasts are on. */
  readonly forecasts: boolean
}

export interface CallPlanSettings {
  readonly chains: ReadonlyArray<ZoneChain>
  readonly pollIntervalMinutes: number
  /** Undefined when forecasts are off. */
  readonly forecastRefreshMinutes: number | undefined
  readonly facts: (provider: ProviderId) => ProviderCallFacts
}

export interface ProviderCalls {
  readonly provider: ProviderId
  /** Chains whose first link is this provider's: polled every interval. */
  readonly zones: number
  /** Chains that name this provider only in a later link: asked only when the links before fail. */
  readonly fallbackFor: number
  /** In the first hour after start: start-up calls included. */
  readonly perHour: number
  readonly per30Days: number
}

/** Calls of something repeated every `everyMinutes` from the start, within `minutes`. */
const occurrences = (minutes: number, everyMinutes: number): number => Math.ceil(minutes / everyMinutes)

const callsWithin = (minutes: number, zones: number, settings: CallPlanSettings, facts: ProviderCallFacts) =>
  facts.catalogueCallsAtStart +
  zones * occurrences(minutes, settings.pollIntervalMinutes) +
  (settings.forecastRefreshMinutes !== undefined && facts.forecasts
    ? zones * occurrences(minutes, settings.forecastRefreshMinutes)
    : 0) +
  (facts.loginEveryMinutes === undefined
    ? 0
    : zones > 0
    ? occurrences(minutes, facts.loginEveryMinutes)
    // A fallback-only provider still logs in once for its catalogue at start.
    : facts.catalogueCallsAtStart > 0
    ? 1
    : 0)

/**
 * Planned calls of every provider ZONES names, in the order first named: a provider named only as
 * a fallback plans its catalogue call at start, its readings being spent only on failures.
 */
export const planCalls = (settings: CallPlanSettings): ReadonlyArray<ProviderCalls> => {
  const counts = new Map<ProviderId, { zones: number; fallbackFor: number }>()
  const countOf = (provider: ProviderId) => {
    const found = counts.get(provider) ?? { zones: 0, fallbackFor: 0 }
    counts.set(provider, found)
    return found
  }
  for (const chain of settings.chains) {
    const first = chain.links[0].provider
    countOf(first).zones++
    for (const provider of new Set(chain.links.slice(1).map((link) => link.provider))) {
      if (provider !== first) countOf(provider).fallbackFor++
    }
  }
  return [...counts].map(([provider, { fallbackFor, zones }]) => {
    const facts = settings.facts(provider)
    return {
      provider,
      zones,
      fallbackFor,
      perHour: callsWithin(60, zones, settings, facts),
      per30Days: callsWithin(MINUTES_PER_30_DAYS, zones, settings, facts)
    }
  })
}

export interface FittingIntervals {
  readonly pollIntervalMinutes: number
  /** Set when the forecasts alone would not fit with the configured refresh. */
  readonly forecastRefreshMinutes: number | undefined
}

/** Rounded up to a tenth of a minute, the precision a person writes an interval with. */
const roundUp = (minutes: number): number => Math.ceil(minutes * 10 - 1e-9) / 10

/**
 * The smallest intervals at which one provider's 30-day plan fits `budget`, or undefined when
 * nothing fits (start-up calls alone exceed it). The configured forecast refresh is kept when the
 * polls can still fit beside it; otherwise polls and forecasts get half the budget each.
 */
export const fittingIntervals = (
  settings: CallPlanSettings,
  provider: ProviderId,
  budget: number
): FittingIntervals | undefined => {
  const zones = settings.chains.filter((chain) => chain.links[0].provider === provider).length
  const facts = settings.facts(provider)
  const fits = (candidate: CallPlanSettings) => callsWithin(MINUTES_PER_30_DAYS, zones, candidate, facts) <= budget
  const fixed = facts.catalogueCallsAtStart +
    (facts.loginEveryMinutes !== undefined ? occurrences(MINUTES_PER_30_DAYS, facts.loginEveryMinutes) : 0)
  if (zones === 0 || fixed >= budget) return undefined
  const forecastZones = settings.forecastRefreshMinutes !== undefined && facts.forecasts ? zones : 0
  const keepRefresh = () => {
    const forecastCalls = settings.forecastRefreshMinutes === undefined
      ? 0
      : forecastZones * occurrences(MINUTES_PER_30_DAYS, settings.forecastRefreshMinutes)
    const left = budget - fixed - forecastCalls
    return left < zones ? undefined : roundUp(zones * MINUTES_PER_30_DAYS / left)
  }
  const kept = keepRefresh()
  const split = (budget - fixed) / (forecastZones > 0 ? 2 : 1)
  let candidate: FittingIntervals = kept !== undefined
    ? { pollIntervalMinutes: kept, forecastRefreshMinutes: undefined }
    : {
      pollIntervalMinutes: roundUp(zones * MINUTES_PER_30_DAYS / split),
      forecastRefreshMinutes: roundUp(forecastZones * MINUTES_PER_30_DAYS / split)
    }
  // Rounding and whole occurrences can leave a call over: step up until the plan fits.
  for (let step = 0; step < 1000; step++) {
    const trial: CallPlanSettings = {
      ...settings,
      pollIntervalMinutes: candidate.pollIntervalMinutes,
      forecastRefreshMinutes: candidate.forecastRefreshMinutes ?? settings.forecastRefreshMinutes
    }
    if (fits(trial)) return candidate
    candidate = {
      pollIntervalMinutes: roundUp(candidate.pollIntervalMinutes + 0.1),
      forecastRefreshMinutes: candidate.forecastRefreshMinutes === undefined
        ? undefined
        : roundUp(candidate.forecastRefreshMinutes + 0.1)
    }
  }
  return undefined
}
