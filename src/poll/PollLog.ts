/**
 * What a poll says in the log: one line per kind of failure (zones failing for the same reason
 * share a line, so a bad key does not print the same sentence once per zone), then one summary.
 */
import { Effect, Option } from "effect"
import type { SourceError } from "../ports/CarbonSource.js"
import type { PollSummary } from "./PollSummary.js"
import { whenPollingAgain } from "./RunMode.js"

/** Groups failures that differ only in their zone. */
export const groupFailures = (errors: ReadonlyArray<SourceError>): ReadonlyArray<ReadonlyArray<SourceError>> => {
  const groups = new Map<string, Array<SourceError>>()
  for (const error of errors) {
    const key = `${error.reason}\u0000${error.status ?? ""}\u0000${error.said}\u0000${error.alreadyReported === true}`
    const group = groups.get(key)
    if (group === undefined) groups.set(key, [error])
    else group.push(error)
  }
  return [...groups.values()]
}

/**
 * One line per group of failures; a refusal the provider already gave and was not asked again
 * for (`alreadyReported`) only at debug: its first line said it, the poll summary still lists it.
 */
export const logFetchFailures = (errors: ReadonlyArray<SourceError>) =>
  Effect.forEach(groupFailures(errors), (group) =>
    Effect.gen(function*() {
      const first = group[0]!
      const zones = group.map((error) => error.zone)
      const message = group.length === 1
        ? first.detail
        : first.detail.replace(`zone ${first.zone}`, `${group.length} zones (${zones.join(", ")})`)
      yield* logFailureGroup(`${message}${yield* whenPollingAgain("; tried again next poll")}`, first, zones)
    }), { discard: true })

const logFailureGroup = (message: string, first: SourceError, zones: ReadonlyArray<string | undefined>) =>
  (first.alreadyReported === true ? Effect.logDebug(message) : Effect.logWarning(message)).pipe(
    Effect.annotateLogs({
      zone: zones.join(","),
      reason: first.reason,
      ...(first.status !== undefined ? { status: first.status } : {})
    })
  )

export const summaryLine = (configured: number, summary: PollSummary): string => {
  const failed = summary.failures.length === 0
    ? ""
    : ` (${summary.failures.map((failure) => `${failure.zone}: ${failure.reason}`).join(", ")})`
  const answeredByFallback = summary.fresh.filter((fresh) => fresh.source.fallback)
  const fallbacks = answeredByFallback.length === 0
    ? ""
    : `, fallback answered for ${
      answeredByFallback.map((fresh) => `${fresh.zone} (${fresh.source.provider})`).join(", ")
    }`
  const ranking = Option.match(summary.ranked, {
    onNone: () => "nothing usable, cache left as it was",
    onSome: (cache) =>
      `best ${cache.best_region} ${cache.regions[cache.best_region]?.carbonIntensity}, worst ${cache.worst_region} ${
        cache.regions[cache.worst_region]?.carbonIntensity
      }`
  })
  const write = Option.isNone(summary.ranked)
    ? ""
    : Option.isSome(summary.written)
    ? ", cache written"
    : ", cache write FAILED"
  return `poll: ${summary.fresh.length}/${configured} zones ok, ${summary.failures.length} failed${failed}${fallbacks}; ${ranking}${write}; ${summary.durationMillis} ms`
}
