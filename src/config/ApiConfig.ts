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

/**
 * Values that the documentation, the manifests and common habit put where the key goes. Sent to the
 * API they earn a 401 on every zone, retried for ever, and a pod that never becomes ready; refused
 * at start instead, with a message that says what is wrong. Compared case-insensitively, with `_`
 * and spaces read as `-` and surrounding `<>`, quotes or brackets ignored.
 */
export const PLACEHOLDER_KEYS: ReadonlyArray<string> = [
  "REPLACE_WITH_YOUR_ELECTRICITY_MAPS_API_KEY",
  "replace-with-your-api-key",
  "replace-with-your-key",
  "replace-me",
  "replaceme",
  "change-me",
  "changeme",
  "your-api-key",
  "your-key",
  "yourkey",
  "your-electricity-maps-api-key",
  "your-electricity-maps-key",
  "electricity-maps-api-key",
  "api-key",
  "placeholder",
  "todo"
]

const normalizedPlaceholder = (key: string): string =>
  key.trim().replace(/^[<"'[({]+|[>"'\])}]+$/g, "").toLowerCase().replace(/[\s_]+/g, "-")

const PLACEHOLDERS: ReadonlySet<string> = new Set(PLACEHOLDER_KEYS.map(normalizedPlaceholder))

/** `$KEY` or `${ELECTRICITY_MAPS_API_KEY}` written where the shell (or kubectl) did not expand it. */
const UNEXPANDED_VARIABLE = /^\$(?:[A-Za-z_][A-Za-z0-9_]*|\{[A-Za-z_][A-Za-z0-9_]*\})$/

/** True for a documentation placeholder or an unexpanded shell variable: never a real key. */
export const isPlaceholderKey = (key: string): boolean =>
  PLACEHOLDERS.has(normalizedPlaceholder(key)) || UNEXPANDED_VARIABLE.test(key.trim())

/** Why a placeholder is refused, for the variable it came through. */
export const placeholderProblem = (variable: string): string =>
  variable === KEY_FILE_VARIABLE
    ? "the file holds a placeholder, not an API key (the API would answer 401 to every request): put your Electricity Maps API key in it; in Kubernetes, create the Secret it is mounted from with your key (see the README, Deploy)"
    : `is a placeholder, not an API key (the API would answer 401 to every request): set it to your Electricity Maps API key (or set ${KEY_FILE_VARIABLE} to a file holding it)`

/**
 * True when the base URL's path names an API version (`/v4`, `/v3`). Without one, every route the
 * service asks for is missing upstream and each zone comes back "not found".
 */
export const hasVersionSegment = (url: string): boolean => {
  try {
    return /(?:^|\/)v\d+(?:\/|$)/.test(new URL(url).pathname)
  } catch {
    return false
  }
}

/** Electricity Maps' own hosts, where a base without a version is certainly a mistake. */
export const isElectricityMapsHost = (url: string): boolean => {
  try {
    return /(?:^|\.)electricitymaps\.com$/i.test(new URL(url).hostname)
  } catch {
    return false
  }
}

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i

/**
 * For a base written without `http://` or `https://` (`localhost:8099/v4`): the URL that was most
 * likely meant, http for a loopback host and https otherwise; none when that would still be refused.
 */
const withScheme = (raw: string): string | undefined => {
  let url: URL
  try {
    url = new URL(`http://${raw}`)
  } catch {
    return undefined
  }
  if (url.username !== "" || url.password !== "" || url.search !== "" || url.hash !== "") return undefined
  return `${LOOPBACK_HOSTS.test(url.hostname) ? "http" : "https"}://${raw}`
}

/** The key travels in a header, so only TLS, or plain HTTP that never leaves the machine. */
export const checkApiUrl = (raw: string): Either.Either<string, string> => {
  const trimmed = raw.trim()
  if (trimmed !== "" && !HAS_SCHEME.test(trimmed)) {
    const meant = withScheme(trimmed)
    return Either.left(
      meant === undefined
        ? `must be an absolute URL, and this one has no scheme: write it as https://host/v4 (http:// only for loopback hosts such as localhost), e.g. ${DEFAULT_API_URL}`
        : `must be an absolute URL, and this one has no scheme (http:// or https://): did you mean ${meant}? (http:// is allowed only for loopback hosts such as localhost; any other host needs https://)`
    )
  }
  let url: URL
  try {
    url = new URL(trimmed)
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
