/**
 * How to reach the carbon-intensity provider: the key, the base URL, what to ask for, and how
 * patiently (timeouts, retries, body size, request rate).
 */
import { Config, ConfigError, Context, Duration, Either, Option, type Redacted } from "effect"
import type { EmissionFactorType } from "../domain/Reading.js"
import { oneOf, positiveNumber, wholeNumber } from "./ValueShapes.js"

export const DEFAULT_API_URL = "https://api.electricitymaps.com/v4"

export interface ApiSettings {
  readonly apiKey: Redacted.Redacted<string>
  /** Base URL without a trailing slash, e.g. `https://api.electricitymaps.com/v4`. */
  readonly apiUrl: string
  readonly emissionFactorType: EmissionFactorType
  readonly requestTimeout: Duration.Duration
  /** Retries after the first attempt: `MAX_RETRIES=3` means at most 4 attempts. */
  readonly maxRetries: number
  readonly retryBaseDelay: Duration.Duration
  /** Upper bound of one backoff step and of an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
  readonly maxResponseBytes: number
  /** Requests per second across all zones; 0 means no limit. */
  readonly maxRequestsPerSecond: number
}

export class ApiConfig extends Context.Tag("carbon-poller/ApiConfig")<ApiConfig, ApiSettings>() {}

/** Where the key comes from; a file is read by the loader, through `FileSystem`. */
export type KeySource =
  | { readonly _tag: "Inline"; readonly key: Redacted.Redacted<string> }
  | { readonly _tag: "File"; readonly path: string }

export const KEY_VARIABLE = "ELECTRICITY_MAPS_API_KEY"
export const KEY_FILE_VARIABLE = "ELECTRICITY_MAPS_API_KEY_FILE"

export const keySource: Config.Config<KeySource> = Config.all({
  inline: Config.option(Config.redacted(KEY_VARIABLE)),
  file: Config.option(Config.string(KEY_FILE_VARIABLE))
}).pipe(
  Config.mapOrFail(({ file, inline }): Either.Either<KeySource, ConfigError.ConfigError> => {
    if (Option.isSome(inline) && Option.isSome(file)) {
      return Either.left(
        ConfigError.InvalidData([KEY_FILE_VARIABLE], `set either ${KEY_VARIABLE} or ${KEY_FILE_VARIABLE}, not both`)
      )
    }
    if (Option.isSome(file)) return Either.right({ _tag: "File", path: file.value })
    if (Option.isSome(inline)) return Either.right({ _tag: "Inline", key: inline.value })
    return Either.left(
      ConfigError.MissingData(
        [KEY_VARIABLE],
        `required: your Electricity Maps API key (or set ${KEY_FILE_VARIABLE} to a file holding it)`
      )
    )
  })
)

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

export const isLoopbackUrl = (url: string): boolean => {
  try {
    return LOOPBACK_HOSTS.test(new URL(url).hostname)
  } catch {
    return false
  }
}

/** What a base URL check says about one provider. */
export interface BaseUrlRules {
  /** A valid value, shown in messages. */
  readonly example: string
  /** Where credentials go instead of the URL. */
  readonly credentialsHint: string
  /** Why plain http:// must stay on the machine. */
  readonly plainHttpHint: string
}

/** Only TLS, or plain HTTP that never leaves the machine (the simulator). */
export const checkBaseUrl = (raw: string, rules: BaseUrlRules): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return Either.left(`must be an absolute URL, e.g. ${rules.example}`)
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(`must not carry credentials; ${rules.credentialsHint}`)
  }
  if (url.search !== "" || url.hash !== "") {
    return Either.left(`must be a base URL without query or fragment, e.g. ${rules.example}`)
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.test(url.hostname)) {
    return Either.left(
      `plain http:// is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https:// ${rules.plainHttpHint}`
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left("must be an https:// URL")
  return Either.right(url.href.replace(/\/+$/, ""))
}

/** A base URL variable: checked by `checkBaseUrl`, `fallback` when unset. */
export const baseUrlConfig = (name: string, fallback: string, rules: BaseUrlRules): Config.Config<string> =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) =>
      Either.mapLeft(checkBaseUrl(raw, rules), (message) => ConfigError.InvalidData([], message))
    ),
    Config.withDefault(fallback)
  )

/** The key travels in a header, so only TLS, or plain HTTP that never leaves the machine. */
const API_URL_RULES: BaseUrlRules = {
  example: DEFAULT_API_URL,
  credentialsHint: `the key goes in ${KEY_VARIABLE}`,
  plainHttpHint: "so the key is not sent in clear text"
}

/**
 * How patiently any provider is called: the per-request timeout, retries and their backoff, and
 * the largest answer read. One set of knobs serves every provider.
 */
export const callConfig = Config.all({
  requestTimeout: positiveNumber("REQUEST_TIMEOUT_SECONDS", { fallback: 10, unit: "seconds", max: 300 }).pipe(
    Config.map(Duration.seconds)
  ),
  maxRetries: wholeNumber("MAX_RETRIES", { fallback: 3, min: 0, max: 10, what: "retries after the first attempt" }),
  retryBaseDelay: positiveNumber("RETRY_BASE_DELAY_SECONDS", { fallback: 0.5, unit: "seconds", max: 60 }).pipe(
    Config.map(Duration.seconds)
  ),
  retryMaxDelay: positiveNumber("RETRY_MAX_DELAY_SECONDS", { fallback: 30, unit: "seconds", max: 600 }).pipe(
    Config.map(Duration.seconds)
  ),
  maxResponseBytes: wholeNumber("MAX_RESPONSE_BYTES", {
    fallback: 2 * 1024 * 1024,
    min: 1024,
    max: 256 * 1024 * 1024,
    what: "bytes"
  })
})

/** Everything but the key itself, which the loader resolves from `keySource`. */
export const apiConfig = Config.all({
  apiUrl: baseUrlConfig("ELECTRICITY_MAPS_API_URL", DEFAULT_API_URL, API_URL_RULES),
  emissionFactorType: oneOf("EMISSION_FACTOR_TYPE", ["lifecycle", "direct"], "lifecycle"),
  call: callConfig,
  // 0 is allowed here (no limit), so it is not a positive number.
  maxRequestsPerSecond: Config.string("MAX_REQUESTS_PER_SECOND").pipe(
    Config.mapOrFail((raw) => {
      const value = Number(raw)
      return /^\s*\d+(?:\.\d+)?\s*$/.test(raw) && value <= 10_000
        ? Either.right(value)
        : Either.left(
          ConfigError.InvalidData(
            [],
            "must be a positive number of requests per second (0 = no limit) up to 10000, e.g. 10"
          )
        )
    }),
    Config.withDefault(0)
  )
}).pipe(Config.map(({ call, ...rest }) => ({ ...rest, ...call })))
