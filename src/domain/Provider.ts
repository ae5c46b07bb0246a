/**
 * Who a value comes from and what kind of value it is. A configured zone key names its provider
 * (`DE` or `em:DE` for Electricity Maps, `ukci:13`, `watttime:CAISO_NORTH`); the key as configured
 * is the key everywhere in the file, and the provider is asked for its own id.
 *
 * A value's basis is its signal (average or marginal) and its emission factor (lifecycle or
 * direct). Values of different bases are never ranked together: a deployment ranks one basis.
 */
import type { EmissionFactorType } from "./Reading.js"

export const PROVIDER_IDS = ["electricitymaps", "ukci", "watttime"] as const
export type ProviderId = (typeof PROVIDER_IDS)[number]

export const SIGNALS = ["average", "marginal"] as const
export type Signal = (typeof SIGNALS)[number]

export interface Basis {
  readonly signal: Signal
  readonly emissionFactorType: EmissionFactorType
}

export const sameBasis = (a: Basis, b: Basis): boolean =>
  a.signal === b.signal && a.emissionFactorType === b.emissionFactorType

export const describeBasis = (basis: Basis): string => `${basis.signal}, ${basis.emissionFactorType}`

/** A configured zone key, split into the provider it names and that provider's own id. */
export interface ZoneRef {
  /** As configured: the key in `regions`, `sorted_by_carbon` and the entry's `zone`. */
  readonly key: string
  readonly provider: ProviderId
  /** What the provider calls it: `DE`, `national`, `13`, `CAISO_NORTH`. */
  readonly id: string
}

const PREFIXES: ReadonlyArray<readonly [string, ProviderId]> = [
  ["em:", "electricitymaps"],
  ["ukci:", "ukci"],
  ["watttime:", "watttime"]
]

/** The provider a key names; a key without a known prefix is an Electricity Maps zone. */
export const parseZoneRef = (key: string): ZoneRef => {
  for (const [prefix, provider] of PREFIXES) {
    if (key.startsWith(prefix)) return { key, provider, id: key.slice(prefix.length) }
  }
  return { key, provider: "electricitymaps", id: key }
}

/** The key a provider's own id is written as: Electricity Maps' without a prefix, the others' with theirs. */
export const keyFor = (provider: ProviderId, id: string): string => {
  if (provider === "electricitymaps") return id
  const prefix = PREFIXES.find(([, named]) => named === provider)?.[0] ?? ""
  return `${prefix}${id}`
}

/**
 * A provider's answer about `ref.id`, said about the key as configured: the same prefix (or none)
 * put before whatever the provider named, so an answer for another id still reads as another key.
 */
export const asKey = (ref: ZoneRef, providerZone: string): string =>
  providerZone === ref.id ? ref.key : `${ref.key.slice(0, ref.key.length - ref.id.length)}${providerZone}`
