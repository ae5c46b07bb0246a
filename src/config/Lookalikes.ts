/**
 * Environment variables that look like one of ours but are not (`POLL_INTERVAL=3` for
 * `POLL_INTERVAL_MINUTES`, `ELECTRICITY_MAP_API_KEY`): each is otherwise silently ignored and its
 * default applies, so the loader turns them into warnings naming the closest variable we read.
 * Only plausible misspellings count, so the many variables a container or a shell carries (PATH,
 * HOME, HTTP_PROXY, NODE_NAME, POD_NAMESPACE, ...) never raise one.
 */
import { Config, type ConfigError, type ConfigProvider, Effect, HashSet, Option } from "effect"
import { editDistance } from "../domain/EditDistance.js"

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
    .flatMap((candidate, order) => {
      const bySegments = segments.length >= 2 && isSegmentSubsequence(segments, segmentsOf(candidate))
      // Names whose lengths differ by more than the allowed edits cannot be that close: skipping
      // the distance for them keeps this cheap against a container's many variables.
      if (!bySegments && Math.abs(upper.length - candidate.length) > allowedEdits(candidate)) return []
      const edits = editDistance(upper, candidate)
      return bySegments || edits <= allowedEdits(candidate) ? [{ candidate, order, edits }] : []
    })
    .sort((a, b) => a.edits - b.edits || a.order - b.order)
  return Option.map(Option.fromNullable(matches[0]), (match) => match.candidate)
}

const warningsFor = (lookalikes: ReadonlyArray<{ readonly name: string; readonly meant: string }>) =>
  [...new Map(lookalikes.map((lookalike) => [lookalike.name, lookalike.meant]))]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, meant]) => `${name} is set but carbon-poller does not read it (it is ignored); did you mean ${meant}?`)

/** One warning per set variable that looks like one of ours; the value is never shown. */
export const lookalikeWarnings = (names: Iterable<string>, known: ReadonlyArray<string>): ReadonlyArray<string> =>
  warningsFor(
    [...names].flatMap((name) =>
      Option.match(closestKnown(name, known), { onNone: () => [], onSome: (meant) => [{ name, meant }] })
    )
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
    const suspects = names.flatMap((name) =>
      Option.match(closestKnown(name, known), { onNone: () => [], onSome: (meant) => [{ name, meant }] })
    )
    const set = yield* Effect.filter(suspects, ({ name }) => isSet(name))
    return warningsFor(set)
  })
