/**
 * How a concern declares its variables, and the error that reports the bad ones. Each variable is
 * a `Schema.Config`: a schema decides what is valid and one message says what would be; the loader
 * (src/config/Configuration.ts) adds the variable's name and its value. `Config.withDefault` covers
 * only a missing variable, so a malformed one is always reported.
 *
 * Effect's ready-made `Config.integer`, `Config.port`, `Config.literal` and `Config.logLevel` would
 * change what is accepted: `Config.integer` reads an empty value as 0 and takes `0x10` and `1e3`;
 * `Config.port` refuses 0 (which switches the endpoints off); `Config.literal` does not trim;
 * `Config.logLevel` lacks the documented `warning` and `none`. Their messages cannot be replaced
 * either, so the schemas below say exactly what is accepted and the message is ours.
 */
import { Config, Data, Schema } from "effect"

export interface ConfigIssue {
  readonly variable: string
  /** As set (secrets and credentials redacted), or undefined when missing. */
  readonly value: string | undefined
  readonly expected: string
}

/** Credentials in a URL (`user:pass@`, `?token=…`, a fragment) never reach a message. */
export const redactUrl = (raw: string): string =>
  raw
    .replace(/^([a-z][a-z0-9+.-]*:\/\/)?[^/@\s?#]*@/i, (_, scheme: string | undefined) => `${scheme ?? ""}<redacted>@`)
    .replace(/([?&][^=&#]*=)[^&#]*/g, "$1<redacted>")
    .replace(/#.*$/, "#<redacted>")

/** Every problem with the configuration at once; the service stops before asking anything. */
export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{ readonly issues: ReadonlyArray<ConfigIssue> }> {
  override get message(): string {
    const count = this.issues.length
    const lines = this.issues.map(
      (issue) =>
        `  ${issue.variable}${
          issue.value === undefined ? " (not set)" : `=${JSON.stringify(issue.value)}`
        }: ${issue.expected}`
    )
    return [`invalid configuration (${count} problem${count === 1 ? "" : "s"}); nothing was requested:`, ...lines].join(
      "\n"
    )
  }
}

/** The variable `name` decoded with `schema`, `fallback` when unset, refused with `expected` otherwise. */
export const variable = <A>(
  name: string,
  schema: Schema.Schema<A, string>,
  options: { readonly expected: string; readonly fallback: NoInfer<A> }
): Config.Config<A> =>
  Schema.Config(name, schema.annotations({ message: () => ({ message: options.expected, override: true }) })).pipe(
    Config.withDefault(options.fallback)
  )

/** Digits, spaces around allowed: no sign, no exponent, no hex, not empty. */
export const WholeNumber = Schema.Trim.pipe(Schema.pattern(/^\d+$/), Schema.compose(Schema.NumberFromString))

/** Digits with an optional fraction, spaces around allowed: no sign, no exponent, not empty. */
export const Decimal = Schema.Trim.pipe(Schema.pattern(/^\d+(?:\.\d+)?$/), Schema.compose(Schema.NumberFromString))

/** A positive decimal, at least `min` and at most `max` when given. */
export const positiveNumber = (
  name: string,
  options: { readonly fallback: number; readonly unit: string; readonly min?: number; readonly max?: number }
): Config.Config<number> => {
  const range = [
    options.min !== undefined ? `at least ${options.min}` : "",
    options.max !== undefined ? `up to ${options.max}` : ""
  ]
    .filter((s) => s !== "")
    .join(" and ")
  return variable(
    name,
    Decimal.pipe(
      Schema.positive(),
      Schema.greaterThanOrEqualTo(options.min ?? 0),
      Schema.lessThanOrEqualTo(options.max ?? Number.MAX_SAFE_INTEGER)
    ),
    {
      expected: `must be a positive number of ${options.unit}${
        range === "" ? "" : ` ${range}`
      }, e.g. ${options.fallback}`,
      fallback: options.fallback
    }
  )
}

/** A whole number in `[min, max]`; `what` says what it counts. */
export const wholeNumber = (
  name: string,
  options: { readonly fallback: number; readonly min: number; readonly max: number; readonly what: string }
): Config.Config<number> =>
  variable(name, WholeNumber.pipe(Schema.between(options.min, options.max)), {
    expected:
      `must be a whole number from ${options.min} to ${options.max} (${options.what}), e.g. ${options.fallback}`,
    fallback: options.fallback
  })

/** One of a fixed set of words, spaces around allowed, case as written. */
export const oneOf = <const A extends string>(name: string, choices: ReadonlyArray<A>, fallback: A): Config.Config<A> =>
  variable(name, Schema.Trim.pipe(Schema.compose(Schema.Literal(...choices))), {
    expected: `must be ${choices.slice(0, -1).join(", ")} or ${choices.at(-1)}`,
    fallback
  })
