/**
 * The value shapes our variables take, as `Config` descriptions. Each failure says what would be
 * valid; the loader (src/config/Configuration.ts) adds the variable's name and its value.
 * `Config.withDefault` covers only a missing variable, so a malformed one is always reported.
 */
import { Config, ConfigError, Either } from "effect"

const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/
const INTEGER = /^\s*\d+\s*$/

const invalid = (message: string) => Either.left(ConfigError.InvalidData([], message))

/**
 * A positive decimal (no sign, no exponent), at least `min` when given and at most `max`. Every
 * number has an upper bound: an unbounded one (a TTL of 10^9 minutes) turns into a time no date can
 * hold, and the service writes times.
 */
export const positiveNumber = (
  name: string,
  options: { readonly fallback: number; readonly unit: string; readonly min?: number; readonly max: number }
): Config.Config<number> =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const value = Number(raw)
      const min = options.min ?? 0
      if (DECIMAL.test(raw) && value > 0 && value >= min && value <= options.max) return Either.right(value)
      const range = [options.min !== undefined ? `at least ${options.min}` : "", `up to ${options.max}`]
        .filter((s) => s !== "")
        .join(" and ")
      return invalid(`must be a positive number of ${options.unit} ${range}, e.g. ${options.fallback}`)
    }),
    Config.withDefault(options.fallback)
  )

/** A whole number in `[min, max]`; `what` says what it counts. */
export const wholeNumber = (
  name: string,
  options: { readonly fallback: number; readonly min: number; readonly max: number; readonly what: string }
): Config.Config<number> =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const value = Number(raw)
      return INTEGER.test(raw) && value >= options.min && value <= options.max
        ? Either.right(value)
        : invalid(
          `must be a whole number from ${options.min} to ${options.max} (${options.what}), e.g. ${options.fallback}`
        )
    }),
    Config.withDefault(options.fallback)
  )

/** One of a fixed set of words. */
export const oneOf = <const A extends string>(name: string, choices: ReadonlyArray<A>, fallback: A): Config.Config<A> =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) => {
      const found = choices.find((choice) => choice === raw.trim())
      return found !== undefined
        ? Either.right(found)
        : invalid(`must be ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`)
    }),
    Config.withDefault(fallback)
  )
