/**
 * What each provider is, in one place: its name for people, what it spends besides one call per
 * zone and poll (the call plan, src/domain/CallPlan.ts, reads these), the basis of its values, and
 * the variable that caps its monthly calls when its plan has a quota. The adapters in
 * src/providers/ must behave as said here: the planned calls are checked against the calls a
 * stand-in counted, and each adapter reports the basis `basisGiven` says. The configuration reads
 * the same basis to refuse, with every other bad variable, a zone of another basis.
 */
import type { ProviderCallFacts } from "./CallPlan.js"
import type { Basis, ProviderId, Signal } from "./Provider.js"
import type { EmissionFactorType } from "./Reading.js"

export interface ProviderFacts {
  readonly name: string
  /** The signal of its values. */
  readonly signal: Signal
  /** The emission factors it can give, the one it gives when asked for another first. */
  readonly emissionFactorTypes: readonly [EmissionFactorType, ...Array<EmissionFactorType>]
  readonly calls: ProviderCallFacts
  /** The variable holding the plan's monthly call quota, for a provider whose plan has one. */
  readonly budgetVariable?: string | undefined
}

export const PROVIDER_FACTS: Readonly<Record<ProviderId, ProviderFacts>> = {
  electricitymaps: {
    name: "Electricity Maps",
    signal: "average",
    // Either factor, as asked (`emissionFactor` on every request).
    emissionFactorTypes: ["lifecycle", "direct"],
    // `/zones` once at start (asked again hourly only while a configured zone is missing from it).
    calls: { catalogueCallsAtStart: 1, forecasts: true },
    budgetVariable: "ELECTRICITY_MAPS_MONTHLY_CALLS"
  },
  ukci: {
    name: "UK Carbon Intensity API",
    signal: "average",
    // Its published intensity counts combustion only.
    emissionFactorTypes: ["direct"],
    // Its 18 areas are a fixed list: no catalogue call; free and keyless, so no quota either.
    calls: { catalogueCallsAtStart: 0, forecasts: true }
  },
  watttime: {
    name: "WattTime",
    signal: "marginal",
    // co2_moer: the marginal operating emissions rate, combustion only.
    emissionFactorTypes: ["direct"],
    // `/v3/my-access` once at start; a token lives 30 minutes and is renewed after 25.
    calls: { catalogueCallsAtStart: 1, loginEveryMinutes: 25, forecasts: true },
    budgetVariable: "WATTTIME_MONTHLY_CALLS"
  }
}

export const providerName = (provider: ProviderId): string => PROVIDER_FACTS[provider].name

/**
 * The basis of the values `provider` gives to a deployment asking for `asked`'s emission factor:
 * that factor when the provider can give it, else its own.
 */
export const basisGiven = (provider: ProviderId, asked: EmissionFactorType): Basis => {
  const { emissionFactorTypes, signal } = PROVIDER_FACTS[provider]
  return { signal, emissionFactorType: emissionFactorTypes.includes(asked) ? asked : emissionFactorTypes[0] }
}
