/**
 * How to reach Electricity Maps: the key, the base URL, and how patiently (timeouts, retries, body
 * size, request rate). What to ask it for is the deployment's basis (`BasisConfig`).
 */
import { Config, ConfigError, Context, Duration, Either, Option, type Redacted, Schema } from "effect"
import { Decimal, positiveNumber, variable, wholeNumber } from "./Variables.js"

export const DEFAULT_API_URL = "https://api.electricitymaps.com/v4"

export interface ApiSettings {
  readonly apiKey: Redacted.Redacted<string>
  /** Base URL without a trailing slash, e.g. `https://api.electricitymaps.com/v4`. */
  readonly apiUrl: string
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

/** The key travels in a header, so only TLS, or plain HTTP that never leaves the machine. */
export const checkApiUrl = (raw: string): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return Either.left(`must be an absolute URL, e.g. ${DEFAULT_API_URL}`)
  }
  if (url.username !== "" || url.password !== "") {
    return Either.left(`must not carry credentials; the key goes in ${KEY_VARIABLE}`)
  }
  if (url.search !== "" || url.hash !== "") {
    return Either.left(`must be a base URL without query or fragment, e.g. ${DEFAULT_API_URL}`)
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.test(url.hostname)) {
    return Either.left(
      "plain http:// is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https:// so the key is not sent in clear text"
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
  maxRequestsPerSecond: variable("MAX_REQUESTS_PER_SECOND", Decimal.pipe(Schema.lessThanOrEqualTo(10_000)), {
    expected: "must be a positive number of requests per second (0 = no limit) up to 10000, e.g. 10",
    fallback: 0
  })
})
