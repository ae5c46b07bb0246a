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

/** What a base URL check says about one provider. */
export interface BaseUrlRules {
  /** A valid value, shown in messages. */
  readonly example: string
  /** The value's shape, shown when the scheme is missing (`https://host/v4`). */
  readonly shape: string
  /** Where credentials go instead of the URL. */
  readonly credentialsHint: string
  /** Why plain http:// must stay on the machine. */
  readonly plainHttpHint: string
}

/** Only TLS, or plain HTTP that never leaves the machine (the simulator). */
export const checkBaseUrl = (raw: string, rules: BaseUrlRules): Either.Either<string, string> => {
  const trimmed = raw.trim()
  if (trimmed !== "" && !HAS_SCHEME.test(trimmed)) {
    const meant = withScheme(trimmed)
    return Either.left(
      meant === undefined
        ? `must be an absolute URL, and this one has no scheme: write it as ${rules.shape} (http:// only for loopback hosts such as localhost), e.g. ${rules.example}`
        : `must be an absolute URL, and this one has no scheme (http:// or https://): did you mean ${meant}? (http:// is allowed only for loopback hosts such as localhost; any other host needs https://)`
    )
  }
  let url: URL
  try {
    url = new URL(trimmed)
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
  shape: "https://host/v4",
  credentialsHint: `the key goes in ${KEY_VARIABLE}`,
  plainHttpHint: "so the key is not sent in clear text"
}

export const checkApiUrl = (raw: string): Either.Either<string, string> => checkBaseUrl(raw, API_URL_RULES)

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

/** The call knobs every provider shares. */
export type CallSettings = Config.Config.Success<typeof callConfig>

/** Everything but the key itself, which the loader resolves from `keySource`. */
export const apiConfig = Config.all({
  apiUrl: baseUrlConfig("ELECTRICITY_MAPS_API_URL", DEFAULT_API_URL, API_URL_RULES),
  call: callConfig,
  // 0 is allowed here (no limit), so it is not a positive number.
  maxRequestsPerSecond: variable("MAX_REQUESTS_PER_SECOND", Decimal.pipe(Schema.lessThanOrEqualTo(10_000)), {
    expected: "must be a positive number of requests per second (0 = no limit) up to 10000, e.g. 10",
    fallback: 0
  })
}).pipe(Config.map(({ call, ...rest }) => ({ ...rest, ...call })))
