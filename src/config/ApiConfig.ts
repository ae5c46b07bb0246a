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

/**
 * A secret given inline (`variable`) or as a file (`fileVariable`), never both; `missing` says what
 * to set when neither is. Wrap it in `Config.option` where the secret is optional.
 */
export const secretSource = (
  variable: string,
  fileVariable: string,
  missing: string
): Config.Config<KeySource> =>
  Config.all({
    inline: Config.option(Config.redacted(variable)),
    file: Config.option(Config.string(fileVariable))
  }).pipe(
    Config.mapOrFail(({ file, inline }): Either.Either<KeySource, ConfigError.ConfigError> => {
      if (Option.isSome(inline) && Option.isSome(file)) {
        return Either.left(
          ConfigError.InvalidData([fileVariable], `set either ${variable} or ${fileVariable}, not both`)
        )
      }
      if (Option.isSome(file)) return Either.right({ _tag: "File", path: file.value })
      if (Option.isSome(inline)) return Either.right({ _tag: "Inline", key: inline.value })
      return Either.left(ConfigError.MissingData([variable], missing))
    })
  )

export const keySource: Config.Config<KeySource> = secretSource(
  KEY_VARIABLE,
  KEY_FILE_VARIABLE,
  `required: your Electricity Maps API key (or set ${KEY_FILE_VARIABLE} to a file holding it)`
)

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i

export const isLoopbackUrl = (url: string): boolean => {
  try {
    return LOOPBACK_HOSTS.test(new URL(url).hostname)
  } catch {
    return false
  }
}

/** Whose base URL is checked: an example of a good one, and what its secret is and where it goes. */
export interface UrlRules {
  readonly example: string
  /** e.g. "the key", "the password" */
  readonly secret: string
  readonly secretVariable: string
}

/** Credentials travel in a header, so only TLS, or plain HTTP that never leaves the machine. */
export const checkApiUrl = (
  raw: string,
  rules: UrlRules = { example: DEFAULT_API_URL, secret: "the key", secretVariable: KEY_VARIABLE }
): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return Either.left(`must be an absolute URL, e.g. ${rules.example}`)
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(`must not carry credentials; ${rules.secret} goes in ${rules.secretVariable}`)
  }
  if (url.search !== "" || url.hash !== "") {
    return Either.left(`must be a base URL without query or fragment, e.g. ${rules.example}`)
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.test(url.hostname)) {
    return Either.left(
      `plain http:// is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https:// so ${rules.secret} is not sent in clear text`
    )
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left("must be an https:// URL")
  return Either.right(url.href.replace(/\/+$/, ""))
}

/** Everything but the key itself, which the loader resolves from `keySource`. */
export const apiConfig = Config.all({
  apiUrl: Config.string("ELECTRICITY_MAPS_API_URL").pipe(
    Config.mapOrFail((raw) => Either.mapLeft(checkApiUrl(raw), (message) => ConfigError.InvalidData([], message))),
    Config.withDefault(DEFAULT_API_URL)
  ),
  emissionFactorType: oneOf("EMISSION_FACTOR_TYPE", ["lifecycle", "direct"], "lifecycle"),
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
  }),
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
})
