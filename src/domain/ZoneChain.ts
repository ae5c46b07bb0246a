/**
 * A configured entry of `ZONES`: one key, or a chain of keys tried in order within one poll
 * (`GB|ukci:national` asks Electricity Maps for `GB`, and the UK Carbon Intensity API when that
 * fails). The entry is stored under its first key; later links are fallbacks.
 */
import { Either } from "effect"
import { type Basis, parseZoneRef, type ProviderId, sameBasis, type ZoneRef } from "./Provider.js"
import { basisGiven } from "./ProviderFacts.js"
import { ZONE_KEY_PATTERN } from "./Reading.js"

export interface ZoneChain {
  /** The first link's key as configured: the key everywhere in the file. */
  readonly key: string
  /** At least one link; the first is the zone's own provider. */
  readonly links: readonly [ZoneRef, ...Array<ZoneRef>]
}

/** The UK Carbon Intensity API's areas: Great Britain, and its regions by `regionid`. */
export const UKCI_AREAS: ReadonlyArray<string> = ["national", ...Array.from({ length: 17 }, (_, i) => String(i + 1))]

const WATTTIME_REGION_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/

/** Why a link's key cannot name a zone of its provider, or undefined when it can. */
const invalidLink = (ref: ZoneRef): string | undefined => {
  switch (ref.provider) {
    case "electricitymaps":
      return ZONE_KEY_PATTERN.test(ref.id)
        ? undefined
        : "Electricity Maps zone keys hold only letters, digits and '-' (as in US-CAL-CISO)"
    case "ukci":
      // Letters pass here so that `ukci:london` reaches the zone check's did-you-mean.
      return /^[A-Za-z0-9-]{1,32}$/.test(ref.id) ? undefined : "UK keys are ukci:national or ukci:1 … ukci:17"
    case "watttime":
      return WATTTIME_REGION_PATTERN.test(ref.id)
        ? undefined
        : "WattTime keys are watttime: and a region code (as in watttime:CAISO_NORTH)"
  }
}

const parseChain = (entry: string): Either.Either<ZoneChain, string> => {
  const keys = entry.split("|").map((key) => key.trim())
  if (keys.some((key) => key === "")) return Either.left(`${JSON.stringify(entry)}: a chain has an empty link`)
  const links = keys.map(parseZoneRef)
  const problems = links.flatMap((ref) => {
    const why = invalidLink(ref)
    return why === undefined ? [] : [`${JSON.stringify(ref.key)} (${why})`]
  })
  if (problems.length > 0) return Either.left(problems.join("; "))
  const providers = new Set<ProviderId>()
  for (const link of links) {
    if (providers.has(link.provider)) {
      return Either.left(`${JSON.stringify(entry)}: a chain names each provider at most once`)
    }
    providers.add(link.provider)
  }
  const [first, ...rest] = links
  return first === undefined ? Either.left(`${JSON.stringify(entry)}: empty`) : Either.right({
    key: first.key,
    links: [first, ...rest]
  })
}

/**
 * Comma-separated entries, each a key or a `|`-chain of keys; spaces trimmed, entries whose first
 * key repeats an earlier one dropped, case kept (keys are case-sensitive).
 */
export const parseZoneChains = (raw: string): Either.Either<ReadonlyArray<ZoneChain>, string> => {
  const entries = raw.split(",").map((entry) => entry.trim()).filter((entry) => entry !== "")
  if (entries.length === 0) {
    return Either.left("must list at least one zone key, comma-separated, e.g. US-CAL-CISO,DE or ukci:13")
  }
  const chains: Array<ZoneChain> = []
  const problems: Array<string> = []
  for (const entry of entries) {
    Either.match(parseChain(entry), {
      onLeft: (problem) => problems.push(problem),
      onRight: (chain) => {
        if (!chains.some((known) => known.key === chain.key)) chains.push(chain)
      }
    })
  }
  return problems.length > 0 ? Either.left(`not valid: ${problems.join(", ")}`) : Either.right(chains)
}

/** Every provider the chains ask, first links and fallbacks alike. */
export const providersOf = (chains: ReadonlyArray<ZoneChain>): ReadonlySet<ProviderId> =>
  new Set(chains.flatMap((chain) => chain.links.map((link) => link.provider)))

/** A link whose provider gives values of another basis than the deployment ranks. */
export interface BasisMismatch {
  readonly chain: ZoneChain
  readonly link: ZoneRef
  readonly given: Basis
}

/**
 * Every link, first or fallback, whose provider cannot give the `asked` basis, as its facts say
 * (`basisGiven`): never is a value of one basis ranked against another.
 */
export const basisMismatches = (chains: ReadonlyArray<ZoneChain>, asked: Basis): ReadonlyArray<BasisMismatch> =>
  chains.flatMap((chain) =>
    chain.links.flatMap((link) => {
      const given = basisGiven(link.provider, asked.emissionFactorType)
      return sameBasis(given, asked) ? [] : [{ chain, link, given }]
    })
  )
