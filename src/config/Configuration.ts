/**
 * Reads every concern's configuration at once, so one message names every bad variable, with its
 * value (secrets shown as `<redacted>`, credentials cut from URLs) and what would be valid. Values
 * come from the current `ConfigProvider` (tests swap it) and the key file through `FileSystem`;
 * nothing else in the code reads the environment.
 */
import { Config, ConfigError, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import { describeOverBudget, overBudget } from "../domain/CallBudget.js"
import { describeBasis, type ProviderId } from "../domain/Provider.js"
import { providerName } from "../domain/ProviderFacts.js"
import { basisMismatches, parseZoneChains, providersOf } from "../domain/ZoneChain.js"
import {
  ApiConfig,
  apiConfig,
  type ApiSettings,
  type CallSettings,
  DEFAULT_API_URL,
  hasVersionSegment,
  isElectricityMapsHost,
  isLoopbackUrl,
  isPlaceholderKey,
  KEY_FILE_VARIABLE,
  KEY_VARIABLE,
  type KeySource,
  keySource,
  placeholderProblem
} from "./ApiConfig.js"
import { BasisConfig, basisConfig, type BasisSettings } from "./BasisConfig.js"
import { BUDGET_VARIABLES, BudgetConfig, budgetConfig, type BudgetSettings } from "./BudgetConfig.js"
import { CacheConfig, cacheConfig, type CacheSettings } from "./CacheConfig.js"
import {
  ClusterConfig,
  clusterConfig,
  type ClusterSettings,
  CONFIGMAP_VARIABLE,
  formatRef,
  LEASE_VARIABLE
} from "./ClusterConfig.js"
import {
  ConsumerConfig,
  type ConsumerSettings,
  consumerTokenSource,
  resolveConsumerToken,
  TOKEN_FILE_VARIABLE,
  TOKEN_VARIABLE
} from "./ConsumerConfig.js"
import {
  ForecastConfig,
  forecastConfig,
  forecastsEnabled,
  type ForecastSettings,
  WINDOWS_VARIABLE,
  windowsLongerThanHorizon
} from "./ForecastConfig.js"
import { HttpConfig, httpConfig, type HttpSettings } from "./HttpConfig.js"
import {
  KEDA_CONFIGMAP_VARIABLE,
  KEDA_ZONE_VARIABLE,
  KedaConfig,
  kedaConfig,
  kedaProblems,
  type KedaSettings
} from "./KedaConfig.js"
import { LoggingConfig, loggingConfig, type LoggingSettings } from "./LoggingConfig.js"
import { lookalikesInEnvironment } from "./Lookalikes.js"
import {
  DEFAULT_ZONES,
  MIN_REMOTE_POLL_INTERVAL_MINUTES,
  PollingConfig,
  pollingConfig,
  type PollingSettings
} from "./PollingConfig.js"
import { readSecretFile } from "./SecretFile.js"
import { UKCI_URL_VARIABLE, UkciConfig, type UkciSettings, ukciUrlConfig } from "./UkciConfig.js"
import { type ConfigIssue, InvalidConfig, redactUrl } from "./Variables.js"
import {
  credentialsRequired,
  PASSWORD_FILE_VARIABLE,
  PASSWORD_VARIABLE,
  resolveWattTimeCredentials,
  URL_VARIABLE as WATTTIME_URL_VARIABLE,
  USERNAME_FILE_VARIABLE,
  USERNAME_VARIABLE,
  WattTimeConfig,
  type WattTimeSettings,
  wattTimeUrlConfig
} from "./WattTimeConfig.js"

export { redactUrl }

/** Every variable the service reads, in the order problems are reported and documented. */
export const VARIABLES = [
  KEY_VARIABLE,
  KEY_FILE_VARIABLE,
  "POLL_INTERVAL_MINUTES",
  "CACHE_TTL_MINUTES",
  "CACHE_FILE",
  "ZONES",
  "ELECTRICITY_MAPS_API_URL",
  UKCI_URL_VARIABLE,
  WATTTIME_URL_VARIABLE,
  USERNAME_VARIABLE,
  USERNAME_FILE_VARIABLE,
  PASSWORD_VARIABLE,
  PASSWORD_FILE_VARIABLE,
  "EMISSION_FACTOR_TYPE",
  "SIGNAL",
  "MAX_READING_AGE_MINUTES",
  "MAX_CONCURRENCY",
  "REQUEST_TIMEOUT_SECONDS",
  "MAX_RETRIES",
  "RETRY_BASE_DELAY_SECONDS",
  "RETRY_MAX_DELAY_SECONDS",
  "MAX_RESPONSE_BYTES",
  "MAX_REQUESTS_PER_SECOND",
  WINDOWS_VARIABLE,
  "FORECAST_HORIZON_HOURS",
  "FORECAST_REFRESH_MINUTES",
  "LOG_FORMAT",
  "LOG_LEVEL",
  "HTTP_PORT",
  "HTTP_HOST",
  TOKEN_VARIABLE,
  TOKEN_FILE_VARIABLE,
  ...BUDGET_VARIABLES.map(([, variable]) => variable),
  LEASE_VARIABLE,
  CONFIGMAP_VARIABLE,
  "POD_NAME",
  "KUBECONFIG",
  KEDA_CONFIGMAP_VARIABLE,
  KEDA_ZONE_VARIABLE
] as const

/** Conditions that are allowed but deserve a line in the log at start. */
export class ConfigWarnings
  extends Context.Tag("carbon-poller/ConfigWarnings")<ConfigWarnings, ReadonlyArray<string>>()
{}

export interface Configuration {
  readonly basis: BasisSettings
  readonly api: ApiSettings
  readonly ukci: UkciSettings
  readonly watttime: WattTimeSettings
  readonly cache: CacheSettings
  readonly polling: PollingSettings
  readonly http: HttpSettings
  readonly logging: LoggingSettings
  readonly forecast: ForecastSettings
  readonly cluster: ClusterSettings
  readonly budget: BudgetSettings
  readonly consumer: ConsumerSettings
  readonly keda: KedaSettings
  readonly warnings: ReadonlyArray<string>
}

const SECRET_VARIABLES: ReadonlySet<string> = new Set([
  KEY_VARIABLE,
  TOKEN_VARIABLE,
  USERNAME_VARIABLE,
  PASSWORD_VARIABLE
])
const URL_VARIABLES: ReadonlySet<string> = new Set([
  "ELECTRICITY_MAPS_API_URL",
  UKCI_URL_VARIABLE,
  WATTTIME_URL_VARIABLE
])

const shownValue = (variable: string, raw: string): string =>
  SECRET_VARIABLES.has(variable) ? "<redacted>" : URL_VARIABLES.has(variable) ? redactUrl(raw) : raw

/** The leaves of a `ConfigError` (it nests `And`/`Or`), as problems with a variable name each. */
const leaves = (error: ConfigError.ConfigError): Array<{ readonly variable: string; readonly expected: string }> => {
  switch (error._op) {
    case "And":
    case "Or":
      return [...leaves(error.left), ...leaves(error.right)]
    case "InvalidData":
    case "MissingData":
    case "SourceUnavailable":
    case "Unsupported":
      return [{ variable: error.path.join("_"), expected: error.message }]
  }
}

const rawValue = (variable: string) =>
  Effect.map(
    Effect.orElseSucceed(Config.option(Config.string(variable)), () => Option.none<string>()),
    Option.getOrUndefined
  )

const toIssues = (problems: ReadonlyArray<{ readonly variable: string; readonly expected: string }>) =>
  Effect.forEach(problems, ({ expected, variable }) =>
    Effect.map(rawValue(variable), (raw): ConfigIssue => ({
      variable,
      value: raw === undefined ? undefined : shownValue(variable, raw),
      expected
    })))

/** A key is sent as an HTTP header: one line of printable ASCII, nothing else. */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/

/**
 * Real keys are a few dozen characters. The bound keeps a wrong file (a log, a binary mounted by
 * mistake) from being read whole into memory, and keeps the search for the key in every text the
 * API sends cheap.
 */
export const MAX_KEY_LENGTH = 512
export const MAX_KEY_FILE_BYTES = 4096

const checkKey = (variable: string, key: string): Either.Either<Redacted.Redacted<string>, ConfigIssue> => {
  const trimmed = key.trim()
  const value = variable === KEY_VARIABLE ? "<redacted>" : undefined
  if (trimmed === "") {
    return variable === KEY_VARIABLE
      ? Either.left({
        variable,
        value,
        expected: `required: your Electricity Maps API key (or set ${KEY_FILE_VARIABLE} to a file holding it)`
      })
      : Either.left({ variable, value, expected: "the file is empty; it must hold the API key" })
  }
  if (trimmed.length > MAX_KEY_LENGTH) {
    return Either.left({
      variable,
      value,
      expected: `the key is ${trimmed.length} characters long; an API key has at most ${MAX_KEY_LENGTH}`
    })
  }
  if (!PRINTABLE_ASCII.test(trimmed)) {
    return Either.left({
      variable,
      value,
      expected:
        "the key must be a single line of printable ASCII characters without spaces (it is sent as an HTTP header); check for a pasted control character or non-ASCII letter"
    })
  }
  if (isPlaceholderKey(trimmed)) return Either.left({ variable, value, expected: placeholderProblem(variable) })
  return Either.right(Redacted.make(trimmed))
}

const resolveKey = (source: KeySource) =>
  Effect.gen(function*() {
    if (source._tag === "Inline") return checkKey(KEY_VARIABLE, Redacted.value(source.key))
    const text = yield* readSecretFile(source.path, { what: "the API key", short: "key" }, MAX_KEY_FILE_BYTES)
    if (Either.isLeft(text)) {
      return Either.left<ConfigIssue>({ variable: KEY_FILE_VARIABLE, value: source.path, expected: text.left })
    }
    return Either.mapLeft(checkKey(KEY_FILE_VARIABLE, text.right), (issue) => ({ ...issue, value: source.path }))
  })

const orderOf = (variable: string): number => {
  const index = VARIABLES.findIndex((name) => name === variable)
  return index === -1 ? VARIABLES.length : index
}

const crossChecks = (settings: Omit<Configuration, "warnings">): ReadonlyArray<ConfigIssue> => [
  ...pollIntervalCheck(settings),
  ...windowLengthCheck(settings),
  ...budgetCheck(settings),
  ...kedaCheck(settings)
]

/** A plan of more calls than a provider's monthly budget is refused, with the intervals that would fit. */
const budgetCheck = (settings: Omit<Configuration, "warnings">): ReadonlyArray<ConfigIssue> =>
  overBudget({
    chains: settings.polling.chains,
    pollIntervalMinutes: settings.polling.pollIntervalMinutes,
    forecastRefreshMinutes: forecastsEnabled(settings.forecast) ? settings.forecast.forecastRefreshMinutes : undefined
  }, settings.budget.monthlyCalls).map((over) => ({
    variable: over.variable,
    value: String(over.budget),
    expected: describeOverBudget(over)
  }))

const kedaCheck = (settings: Omit<Configuration, "warnings">): ReadonlyArray<ConfigIssue> =>
  kedaProblems(settings.keda, settings.polling.zones, forecastsEnabled(settings.forecast)).map((problem) => ({
    ...problem,
    value: problem.variable === KEDA_ZONE_VARIABLE
      ? Option.getOrUndefined(Option.map(settings.keda.keda, (target) => target.zone))
      : Option.getOrUndefined(Option.map(settings.keda.keda, (target) => formatRef(target.configMap)))
  }))

const windowLengthCheck = (settings: Omit<Configuration, "warnings">): ReadonlyArray<ConfigIssue> => {
  const tooLong = windowsLongerThanHorizon(settings.forecast)
  return tooLong.length === 0 ? [] : [{
    variable: WINDOWS_VARIABLE,
    value: settings.forecast.forecastWindowsMinutes.join(","),
    expected:
      `a window cannot be longer than the forecast: FORECAST_HORIZON_HOURS=${settings.forecast.forecastHorizonHours} allows up to ${
        settings.forecast.forecastHorizonHours * 60
      } minutes; too long: ${tooLong.join(", ")}`
  }]
}

/** The base URL each provider is asked at. */
const urlOf = (settings: Omit<Configuration, "warnings">, provider: ProviderId): string =>
  provider === "ukci" ? settings.ukci.apiUrl : provider === "watttime" ? settings.watttime.apiUrl : settings.api.apiUrl

/** True when every provider ZONES names is asked at a loopback URL (the simulator). */
const allLoopback = (settings: Omit<Configuration, "warnings">): boolean =>
  [...providersNamed(settings.polling.zones.join(","))].every((provider) => isLoopbackUrl(urlOf(settings, provider)))

const pollIntervalCheck = (settings: Omit<Configuration, "warnings">): ReadonlyArray<ConfigIssue> =>
  settings.polling.pollIntervalMinutes < MIN_REMOTE_POLL_INTERVAL_MINUTES && !allLoopback(settings)
    ? [{
      variable: "POLL_INTERVAL_MINUTES",
      value: String(settings.polling.pollIntervalMinutes),
      expected:
        `must be at least ${MIN_REMOTE_POLL_INTERVAL_MINUTES} against a remote API (each poll spends the plan's calls); shorter intervals are allowed only for a loopback URL such as the simulator`
    }]
    : []

const warningsOf = (settings: Omit<Configuration, "warnings">): ReadonlyArray<string> => {
  const warnings: Array<string> = []
  if (settings.cache.cacheTtlMinutes < settings.polling.pollIntervalMinutes) {
    warnings.push(
      `CACHE_TTL_MINUTES (${settings.cache.cacheTtlMinutes}) is smaller than POLL_INTERVAL_MINUTES (${settings.polling.pollIntervalMinutes}): the cache will expire between polls`
    )
  }
  if (isElectricityMapsHost(settings.api.apiUrl) && !hasVersionSegment(settings.api.apiUrl)) {
    warnings.push(
      `ELECTRICITY_MAPS_API_URL (${settings.api.apiUrl}) has no version segment (/v4 or /v3): every request would be answered 404 and every zone reported "not found"; set ELECTRICITY_MAPS_API_URL=${DEFAULT_API_URL}`
    )
  }
  if (/\/v3$/.test(settings.api.apiUrl)) {
    warnings.push(
      `ELECTRICITY_MAPS_API_URL ends in /v3, the legacy Electricity Maps API; it keeps working, but v4 is current: set ELECTRICITY_MAPS_API_URL=${
        settings.api.apiUrl.replace(/\/v3$/, "/v4")
      }`
    )
  }
  return warnings
}

/**
 * The providers ZONES names, first links and fallbacks alike; Electricity Maps for the default
 * zones. Unreadable ZONES (its own problem is reported) counts as Electricity Maps', the default
 * provider, as before there were others.
 */
const providersNamed = (zones: string): ReadonlySet<ProviderId> =>
  Either.match(parseZoneChains(zones), { onLeft: () => new Set<ProviderId>(["electricitymaps"]), onRight: providersOf })

/**
 * Every link of ZONES, first or fallback, whose provider cannot give the deployment's basis
 * (`SIGNAL`, `EMISSION_FACTOR_TYPE`), judged from the providers' facts. It needs only those three
 * variables, so it joins the message whatever else is bad; when one of them is unreadable its own
 * problem is reported instead.
 */
const basisIssues = (zones: string) =>
  Effect.map(Effect.either(basisConfig), (asked): ReadonlyArray<ConfigIssue> => {
    const chains = parseZoneChains(zones)
    if (Either.isLeft(asked) || Either.isLeft(chains)) return []
    const basis = asked.right
    return basisMismatches(chains.right, basis).map(({ chain, given, link }) => ({
      variable: "ZONES",
      value: chain.links.map((each) => each.key).join("|"),
      expected: `zone ${link.key}: ${providerName(link.provider)} gives ${
        describeBasis(given)
      } values, but the deployment ranks ${
        describeBasis(basis)
      } (SIGNAL=${basis.signal}, EMISSION_FACTOR_TYPE=${basis.emissionFactorType}); values of different bases are never ranked together`
    }))
  })

/** The consumer token's settings, or its problems (joined to the others in one message). */
const resolveConsumer = Effect.gen(function*() {
  const source = yield* Effect.either(consumerTokenSource)
  if (Either.isLeft(source)) return Either.left(yield* toIssues(leaves(source.left)))
  return Either.mapLeft(yield* resolveConsumerToken(source.right), (issue): ReadonlyArray<ConfigIssue> => [issue])
})

/** Every concern's settings, or one `InvalidConfig` naming every problem. */
export interface LoadOptions {
  readonly stdoutIsTerminal: boolean
  /**
   * False only for commands that can work without a key and rank nothing (listing the zone
   * catalogue, printing the plan). When true, a provider's credentials are required only if ZONES
   * names one of its zones, and every zone must be of the deployment's basis.
   */
  readonly keyRequired: boolean
}

/** The call knobs every provider shares, read once with Electricity Maps' settings. */
const callSettingsOf = (api: Omit<ApiSettings, "apiKey">): CallSettings => ({
  requestTimeout: api.requestTimeout,
  maxRetries: api.maxRetries,
  retryBaseDelay: api.retryBaseDelay,
  retryMaxDelay: api.retryMaxDelay,
  maxResponseBytes: api.maxResponseBytes
})

/** Stands for "no key" where none is required: the source then sends no `auth-token`. */
export const NO_KEY = Redacted.make("")

export const loadConfiguration = (options: LoadOptions) =>
  Effect.gen(function*() {
    const described = yield* Effect.either(Config.all({
      basis: basisConfig,
      api: apiConfig,
      ukciUrl: ukciUrlConfig,
      wattTimeUrl: wattTimeUrlConfig,
      cache: cacheConfig,
      polling: pollingConfig,
      http: httpConfig,
      logging: loggingConfig(options),
      forecast: forecastConfig,
      cluster: clusterConfig,
      budget: budgetConfig,
      keda: kedaConfig
    }))
    const problems: Array<ConfigIssue> = Either.isLeft(described) ? [...yield* toIssues(leaves(described.left))] : []
    // Credentials are resolved even when other variables are bad, so their problems join the same
    // message. Each provider's are required only when ZONES names one of its zones.
    const zones = Option.getOrElse(Option.fromNullable(yield* rawValue("ZONES")), () => DEFAULT_ZONES)
    const named = providersNamed(zones)
    const source = yield* Effect.either(keySource)
    let apiKey = Option.none<Redacted.Redacted<string>>()
    const keyNeeded = options.keyRequired && named.has("electricitymaps")
    if (Either.isLeft(source) && !keyNeeded && ConfigError.isMissingDataOnly(source.left)) {
      apiKey = Option.some(NO_KEY)
    } else if (Either.isLeft(source)) {
      for (const issue of yield* toIssues(leaves(source.left))) problems.push(issue)
    } else {
      const key = yield* resolveKey(source.right)
      if (Either.isLeft(key)) problems.push(key.left)
      else apiKey = Option.some(key.right)
    }
    const consumer = yield* resolveConsumer
    if (Either.isLeft(consumer)) {
      for (const issue of consumer.left) problems.push(issue)
    }
    const login = yield* resolveWattTimeCredentials
    if (Either.isLeft(login)) { for (const issue of login.left) problems.push(issue) }
    else if (Option.isNone(login.right) && options.keyRequired && named.has("watttime")) {
      for (const issue of credentialsRequired()) problems.push(issue)
    }
    // Only a run ranks values: listing the catalogue or printing the plan asks no basis of a zone.
    if (options.keyRequired) {
      for (const issue of yield* basisIssues(zones)) problems.push(issue)
    }
    if (Either.isRight(described) && Option.isSome(apiKey) && Either.isRight(login) && Either.isRight(consumer)) {
      const { ukciUrl, wattTimeUrl, ...rest } = described.right
      const call = callSettingsOf(rest.api)
      const settings = {
        ...rest,
        api: { ...rest.api, apiKey: apiKey.value },
        ukci: { apiUrl: ukciUrl, ...call },
        watttime: { apiUrl: wattTimeUrl, credentials: login.right, ...call },
        consumer: consumer.right
      }
      for (const issue of crossChecks(settings)) problems.push(issue)
      if (problems.length === 0) {
        const lookalikes = yield* lookalikesInEnvironment(VARIABLES)
        return { ...settings, warnings: [...warningsOf(settings), ...lookalikes] }
      }
    }
    return yield* new InvalidConfig({
      issues: problems.sort((a, b) => orderOf(a.variable) - orderOf(b.variable))
    })
  })

/** Provides each concern's settings as its own service. */
export const layer = (options: LoadOptions) =>
  Layer.effectContext(
    Effect.map(loadConfiguration(options), (settings) =>
      Context.make(BasisConfig, settings.basis).pipe(
        Context.add(ApiConfig, settings.api),
        Context.add(UkciConfig, settings.ukci),
        Context.add(WattTimeConfig, settings.watttime),
        Context.add(CacheConfig, settings.cache),
        Context.add(PollingConfig, settings.polling),
        Context.add(HttpConfig, settings.http),
        Context.add(LoggingConfig, settings.logging),
        Context.add(ForecastConfig, settings.forecast),
        Context.add(ClusterConfig, settings.cluster),
        Context.add(BudgetConfig, settings.budget),
        Context.add(ConsumerConfig, settings.consumer),
        Context.add(KedaConfig, settings.keda),
        Context.add(ConfigWarnings, settings.warnings)
      ))
  )
