/**
 * Configuration: every environment variable of CONTRACT section 2 plus the project's knobs,
 * validated into one typed value. All problems are collected and reported together, so an
 * operator fixes a deployment in one round instead of one variable per restart.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Config, Context, Data, Duration, Effect, Layer, LogLevel, Option, Redacted } from "effect"
import { ZONE_KEY_PATTERN, type EmissionFactorType } from "./Domain.js"

export type LogFormat = "json" | "pretty"

export interface Settings {
  readonly apiKey: Redacted.Redacted<string>
  readonly pollIntervalMinutes: number
  readonly cacheTtlMinutes: number
  readonly cacheFile: string
  readonly zones: ReadonlyArray<string>
  /** Base URL without a trailing slash, e.g. `https://api.electricitymaps.com/v3`. */
  readonly apiUrl: string
  readonly emissionFactorType: EmissionFactorType
  readonly maxConcurrency: number
  readonly requestTimeout: Duration.Duration
  /** Retries after the first attempt: `MAX_RETRIES=3` means at most 4 attempts. */
  readonly maxRetries: number
  readonly retryBaseDelay: Duration.Duration
  /** Upper bound of one backoff step and of an honoured `Retry-After`. */
  readonly retryMaxDelay: Duration.Duration
  readonly maxResponseBytes: number
  /** Requests per second across all zones; 0 means no limit. */
  readonly maxRequestsPerSecond: number
  readonly logFormat: LogFormat
  readonly logLevel: LogLevel.LogLevel
  /** 0 disables the HTTP endpoints. */
  readonly httpPort: number
  readonly httpHost: string
  /** Conditions that are allowed but deserve a line in the log at start. */
  readonly warnings: ReadonlyArray<string>
}

export class PollerConfig extends Context.Tag("carbon-poller/PollerConfig")<PollerConfig, Settings>() {}

export interface ConfigIssue {
  readonly variable: string
  /** As set, or `<redacted>` for secrets, or undefined when missing. */
  readonly value: string | undefined
  readonly expected: string
}

export class InvalidConfig extends Data.TaggedError("InvalidConfig")<{
  readonly issues: ReadonlyArray<ConfigIssue>
}> {
  override get message(): string {
    const count = this.issues.length
    const lines = this.issues.map(
      (issue) =>
        `  ${issue.variable}${issue.value === undefined ? " (not set)" : `=${JSON.stringify(issue.value)}`}: ${issue.expected}`
    )
    return [
      `invalid configuration (${count} problem${count === 1 ? "" : "s"}); nothing was requested:`,
      ...lines
    ].join("\n")
  }
}

export const DEFAULT_ZONES = "US-CAL-CISO,US-TEX-ERCO,US-NY-NYIS,US-MIDA-PJM,US-MIDW-MISO"
export const DEFAULT_API_URL = "https://api.electricitymaps.com/v3"
export const DEFAULT_HTTP_PORT = 9477

/** Every variable the service reads; nothing else in the code touches the environment. */
export const VARIABLES = [
  "ELECTRICITY_MAPS_API_KEY",
  "ELECTRICITY_MAPS_API_KEY_FILE",
  "POLL_INTERVAL_MINUTES",
  "CACHE_TTL_MINUTES",
  "CACHE_FILE",
  "ZONES",
  "ELECTRICITY_MAPS_API_URL",
  "EMISSION_FACTOR_TYPE",
  "MAX_CONCURRENCY",
  "REQUEST_TIMEOUT_SECONDS",
  "MAX_RETRIES",
  "RETRY_BASE_DELAY_SECONDS",
  "RETRY_MAX_DELAY_SECONDS",
  "MAX_RESPONSE_BYTES",
  "MAX_REQUESTS_PER_SECOND",
  "LOG_FORMAT",
  "LOG_LEVEL",
  "HTTP_PORT",
  "HTTP_HOST"
] as const
export type Variable = (typeof VARIABLES)[number]
export type RawEnvironment = Readonly<Partial<Record<Variable, string>>>

/** What the key file held, read by the layer before validation. */
export type KeyFileContents =
  | { readonly _tag: "NotConfigured" }
  | { readonly _tag: "Read"; readonly contents: string }
  | { readonly _tag: "Unreadable"; readonly reason: string }

export interface ValidationContext {
  readonly stdoutIsTerminal: boolean
  readonly keyFile: KeyFileContents
}

const LOG_LEVELS: Record<string, LogLevel.LogLevel> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i
const DECIMAL = /^\s*\d+(?:\.\d+)?\s*$/
const INTEGER = /^\s*\d+\s*$/

/**
 * Pure validation of the raw environment. Returns every problem at once; the key is never echoed.
 */
export const validateSettings = (
  env: RawEnvironment,
  context: ValidationContext
): { readonly _tag: "Valid"; readonly settings: Settings } | { readonly _tag: "Invalid"; readonly issues: Array<ConfigIssue> } => {
  const issues: Array<ConfigIssue> = []
  const warnings: Array<string> = []
  const fail = (variable: Variable, expected: string, secret = false): void => {
    const value = env[variable]
    issues.push({ variable, value: secret && value !== undefined ? "<redacted>" : value, expected })
  }

  const positiveNumber = (variable: Variable, fallback: number, what: string, max = Number.MAX_SAFE_INTEGER): number => {
    const raw = env[variable]
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!DECIMAL.test(raw) || !(value > 0) || value > max) {
      fail(variable, `must be a positive number of ${what}${max < Number.MAX_SAFE_INTEGER ? ` up to ${max}` : ""}, e.g. ${fallback}`)
      return fallback
    }
    return value
  }
  const integer = (variable: Variable, fallback: number, min: number, max: number, what: string): number => {
    const raw = env[variable]
    if (raw === undefined) return fallback
    const value = Number(raw)
    if (!INTEGER.test(raw) || value < min || value > max) {
      fail(variable, `must be a whole number from ${min} to ${max} (${what}), e.g. ${fallback}`)
      return fallback
    }
    return value
  }

  // The key: from the variable or from a file, never both, never empty.
  let apiKey = ""
  const keyVar = env.ELECTRICITY_MAPS_API_KEY
  if (keyVar !== undefined && env.ELECTRICITY_MAPS_API_KEY_FILE !== undefined) {
    fail("ELECTRICITY_MAPS_API_KEY_FILE", "set either ELECTRICITY_MAPS_API_KEY or ELECTRICITY_MAPS_API_KEY_FILE, not both")
  } else if (context.keyFile._tag === "Read") {
    apiKey = context.keyFile.contents.trim()
    if (apiKey === "") fail("ELECTRICITY_MAPS_API_KEY_FILE", "the file is empty; it must hold the API key")
  } else if (context.keyFile._tag === "Unreadable") {
    fail("ELECTRICITY_MAPS_API_KEY_FILE", `cannot read the key file (${context.keyFile.reason})`)
  } else if (keyVar === undefined || keyVar.trim() === "") {
    fail(
      "ELECTRICITY_MAPS_API_KEY",
      "required: your Electricity Maps API key (or set ELECTRICITY_MAPS_API_KEY_FILE to a file holding it)",
      true
    )
  } else {
    apiKey = keyVar.trim()
  }
  if (/[\r\n]/.test(apiKey)) {
    fail(keyVar !== undefined ? "ELECTRICITY_MAPS_API_KEY" : "ELECTRICITY_MAPS_API_KEY_FILE", "the key must be a single line", true)
  }

  const pollIntervalMinutes = positiveNumber("POLL_INTERVAL_MINUTES", 5, "minutes")
  const cacheTtlMinutes = positiveNumber("CACHE_TTL_MINUTES", 10, "minutes")
  if (cacheTtlMinutes < pollIntervalMinutes) {
    warnings.push(
      `CACHE_TTL_MINUTES (${cacheTtlMinutes}) is smaller than POLL_INTERVAL_MINUTES (${pollIntervalMinutes}): the cache will expire between polls`
    )
  }

  const cacheFile = env.CACHE_FILE ?? "/cache/carbon_cache.json"
  if (cacheFile.trim() === "" || cacheFile.endsWith("/")) {
    fail("CACHE_FILE", "must be a file path, e.g. /cache/carbon_cache.json")
  }

  const zones = [...new Set((env.ZONES ?? DEFAULT_ZONES).split(",").map((z) => z.trim()).filter((z) => z !== ""))]
  if (zones.length === 0) {
    fail("ZONES", "must list at least one zone key, comma-separated, e.g. US-CAL-CISO,DE")
  } else {
    const bad = zones.filter((z) => !ZONE_KEY_PATTERN.test(z))
    if (bad.length > 0) {
      fail(
        "ZONES",
        `zone keys hold only letters, digits and '-' (as in US-CAL-CISO); not valid: ${bad.map((z) => JSON.stringify(z)).join(", ")}`
      )
    }
  }

  let apiUrl = DEFAULT_API_URL
  const rawUrl = env.ELECTRICITY_MAPS_API_URL
  if (rawUrl !== undefined) {
    const checked = checkApiUrl(rawUrl)
    if (checked._tag === "Bad") fail("ELECTRICITY_MAPS_API_URL", checked.expected)
    else apiUrl = checked.url
  }

  let emissionFactorType: EmissionFactorType = "lifecycle"
  const rawFactor = env.EMISSION_FACTOR_TYPE
  if (rawFactor !== undefined) {
    if (rawFactor === "lifecycle" || rawFactor === "direct") emissionFactorType = rawFactor
    else fail("EMISSION_FACTOR_TYPE", "must be lifecycle or direct")
  }

  const maxConcurrency = integer("MAX_CONCURRENCY", 5, 1, 256, "requests in flight at once")
  const requestTimeoutSeconds = positiveNumber("REQUEST_TIMEOUT_SECONDS", 10, "seconds", 300)
  const maxRetries = integer("MAX_RETRIES", 3, 0, 10, "retries after the first attempt")
  const retryBaseDelaySeconds = positiveNumber("RETRY_BASE_DELAY_SECONDS", 0.5, "seconds", 60)
  const retryMaxDelaySeconds = positiveNumber("RETRY_MAX_DELAY_SECONDS", 30, "seconds", 600)
  const maxResponseBytes = integer("MAX_RESPONSE_BYTES", 2 * 1024 * 1024, 1024, 256 * 1024 * 1024, "bytes")
  const maxRequestsPerSecond = (() => {
    const raw = env.MAX_REQUESTS_PER_SECOND
    if (raw === undefined || raw.trim() === "0") return 0
    return positiveNumber("MAX_REQUESTS_PER_SECOND", 0, "requests per second (0 = no limit)", 10_000)
  })()

  let logFormat: LogFormat = context.stdoutIsTerminal ? "pretty" : "json"
  const rawFormat = env.LOG_FORMAT
  if (rawFormat !== undefined) {
    if (rawFormat === "json" || rawFormat === "pretty") logFormat = rawFormat
    else fail("LOG_FORMAT", "must be json or pretty")
  }

  let logLevel: LogLevel.LogLevel = LogLevel.Info
  const rawLevel = env.LOG_LEVEL
  if (rawLevel !== undefined) {
    const level = LOG_LEVELS[rawLevel.trim().toLowerCase()]
    if (level) logLevel = level
    else fail("LOG_LEVEL", `must be one of ${Object.keys(LOG_LEVELS).join(", ")}`)
  }

  const httpPort = integer("HTTP_PORT", DEFAULT_HTTP_PORT, 0, 65535, "0 disables the HTTP endpoints")
  const httpHost = env.HTTP_HOST ?? "0.0.0.0"
  if (httpHost.trim() === "" || /[\s/]/.test(httpHost)) fail("HTTP_HOST", "must be a host name or address to listen on, e.g. 0.0.0.0")

  if (issues.length > 0) return { _tag: "Invalid", issues }
  return {
    _tag: "Valid",
    settings: {
      apiKey: Redacted.make(apiKey),
      pollIntervalMinutes,
      cacheTtlMinutes,
      cacheFile,
      zones,
      apiUrl,
      emissionFactorType,
      maxConcurrency,
      requestTimeout: Duration.seconds(requestTimeoutSeconds),
      maxRetries,
      retryBaseDelay: Duration.seconds(retryBaseDelaySeconds),
      retryMaxDelay: Duration.seconds(retryMaxDelaySeconds),
      maxResponseBytes,
      maxRequestsPerSecond,
      logFormat,
      logLevel,
      httpPort,
      httpHost,
      warnings
    }
  }
}

/** The key travels in a header, so only TLS, or plain HTTP that never leaves the machine. */
export const checkApiUrl = (
  raw: string
): { readonly _tag: "Good"; readonly url: string } | { readonly _tag: "Bad"; readonly expected: string } => {
  let url: URL
  try {
    url = new URL(raw.trim())
  } catch {
    return { _tag: "Bad", expected: "must be an absolute URL, e.g. https://api.electricitymaps.com/v3" }
  }
  if (url.username !== "" || url.password !== "") {
    return { _tag: "Bad", expected: "must not carry credentials; the key goes in ELECTRICITY_MAPS_API_KEY" }
  }
  if (url.search !== "" || url.hash !== "") {
    return { _tag: "Bad", expected: "must be a base URL without query or fragment, e.g. https://api.electricitymaps.com/v3" }
  }
  if (url.protocol === "http:" && !LOOPBACK_HOSTS.test(url.hostname)) {
    return {
      _tag: "Bad",
      expected: "plain http:// is allowed only for loopback hosts (localhost, 127.0.0.1, [::1]); use https:// so the key is not sent in clear text"
    }
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return { _tag: "Bad", expected: "must be an https:// URL" }
  }
  return { _tag: "Good", url: url.href.replace(/\/+$/, "") }
}

const rawEnvironment: Config.Config<RawEnvironment> = Config.all(
  Object.fromEntries(VARIABLES.map((name) => [name, Config.option(Config.string(name))] as const))
).pipe(
  Config.map((options) => {
    const env: Partial<Record<Variable, string>> = {}
    for (const [name, value] of Object.entries(options) as Array<[Variable, Option.Option<string>]>) {
      if (Option.isSome(value)) env[name] = value.value
    }
    return env
  })
)

const readKeyFile = (path: string | undefined) =>
  Effect.gen(function* () {
    if (path === undefined) return { _tag: "NotConfigured" } as const
    const fs = yield* FileSystem.FileSystem
    return yield* fs.readFileString(path).pipe(
      Effect.map((contents): KeyFileContents => ({ _tag: "Read", contents })),
      Effect.catchAll((error) =>
        Effect.succeed<KeyFileContents>({
          _tag: "Unreadable",
          reason: error._tag === "SystemError" ? `${error.reason}: ${path}` : error.message
        })
      )
    )
  })

/**
 * Reads the environment through the current `ConfigProvider` (tests swap it) and the key file
 * through `FileSystem`, then validates.
 */
export const loadSettings = (options: { readonly stdoutIsTerminal: boolean }) =>
  Effect.gen(function* () {
    const env = yield* rawEnvironment.pipe(Effect.orDie)
    const keyFile = yield* readKeyFile(env.ELECTRICITY_MAPS_API_KEY !== undefined ? undefined : env.ELECTRICITY_MAPS_API_KEY_FILE)
    const result = validateSettings(env, { stdoutIsTerminal: options.stdoutIsTerminal, keyFile })
    if (result._tag === "Invalid") return yield* new InvalidConfig({ issues: result.issues })
    return result.settings
  })

export const layer = (options: { readonly stdoutIsTerminal: boolean }) =>
  Layer.effect(PollerConfig, loadSettings(options))
