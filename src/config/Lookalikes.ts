/**
 * Environment variables that look like one of ours but are not (`POLL_INTERVAL=3` for
 * `POLL_INTERVAL_MINUTES`, `ELECTRICITY_MAP_API_KEY`): each is otherwise silently ignored and its
 * default applies, so the loader turns them into warnings naming the closest variable we read.
 * Only plausible misspellings count, so the many variables a container or a shell carries (PATH,
 * HOME, HTTP_PROXY, NODE_NAME, POD_NAMESPACE, ...) never raise one.
 */
import { Config, type ConfigError, type ConfigProvider, Effect, HashSet, Option } from "effect"

/** Edit distance (insertions, deletions, substitutions) between two names. */
const distance = (a: string, b: string): number => {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    }
    previous = current
  }
  return previous[b.length]!
}

const segmentsOf = (name: string): ReadonlyArray<string> => name.split("_").filter((s) => s !== "")

/** True when every segment of `short` appears in `long`, in order (`CACHE_TTL` in `CACHE_TTL_MINUTES`). */
const isSegmentSubsequence = (short: ReadonlyArray<string>, long: ReadonlyArray<string>): boolean => {
  let matched = 0
  for (const segment of long) if (segment === short[matched]) matched++
  return matched === short.length
}

/**
 * Typos allowed by length: one for short names, where two edits already turn `NODE_NAME` into
 * `POD_NAME`; two or three for long ones.
 */
const allowedEdits = (known: string): number => (known.length <= 8 ? 1 : known.length <= 16 ? 2 : 3)

/** The known name `name` most likely stands for, or none when it does not look like one of them. */
export const closestKnown = (name: string, known: ReadonlyArray<string>): Option.Option<string> => {
  const upper = name.toUpperCase()
  if (known.includes(name)) return Option.none()
  const segments = segmentsOf(upper)
  const matches = known
    .map((candidate, order) => ({ candidate, order, edits: distance(upper, candidate) }))
    .filter(({ candidate, edits }) =>
      edits <= allowedEdits(candidate) ||
      (segments.length >= 2 && isSegmentSubsequence(segments, segmentsOf(candidate)))
    )
    .sort((a, b) => a.edits - b.edits || a.order - b.order)
  return Option.map(Option.fromNullable(matches[0]), (match) => match.candidate)
}

/** One warning per set variable that looks like one of ours; the value is never shown. */
export const lookalikeWarnings = (names: Iterable<string>, known: ReadonlyArray<string>): ReadonlyArray<string> =>
  [...new Set(names)].sort().flatMap((name) =>
    Option.match(closestKnown(name, known), {
      onNone: () => [],
      onSome: (meant) => [`${name} is set but carbon-poller does not read it (it is ignored); did you mean ${meant}?`]
    })
  )

const MAX_DEPTH = 12

/**
 * Every name the current `ConfigProvider` has a value for. The environment provider splits names
 * on `_` into a tree, so the walk joins each path back; a path that has no value of its own (`POLL`
 * of `POLL_INTERVAL`) is dropped when its value is looked up.
 */
const providerNames = (flat: ConfigProvider.ConfigProvider.Flat) => {
  const walk = (
    path: ReadonlyArray<string>
  ): Effect.Effect<ReadonlyArray<ReadonlyArray<string>>, ConfigError.ConfigError> =>
    path.length >= MAX_DEPTH
      ? Effect.succeed([path])
      : Effect.flatMap(flat.enumerateChildren(path), (children) =>
        Effect.map(
          Effect.forEach(HashSet.toValues(children), (child) => walk([...path, child])),
          (below) => [...(path.length > 0 ? [path] : []), ...below.flat()]
        ))
  return Effect.map(walk([]), (paths) => paths.map((path) => path.join("_")))
}

const isSet = (name: string) =>
  Effect.map(Effect.orElseSucceed(Config.option(Config.string(name)), () => Option.none<string>()), Option.isSome)

/**
 * Warnings for the variables that are set and look like ours, read through the current
 * `ConfigProvider` (tests swap it). A provider that cannot list its names yields none.
 */
export const lookalikesInEnvironment = (known: ReadonlyArray<string>): Effect.Effect<ReadonlyArray<string>> =>
  Effect.gen(function*() {
    const provider = yield* Effect.configProviderWith(Effect.succeed)
    const names = yield* Effect.orElseSucceed(providerNames(provider.flattened), (): ReadonlyArray<string> => [])
    const suspects = names.filter((name) => Option.isSome(closestKnown(name, known)))
    const set = yield* Effect.filter(suspects, isSet)
    return lookalikeWarnings(set, known)
  })
