/** Settings for tests: the documented defaults with a distinctive key and a test URL, one layer per concern. */
import { Context, Duration, Either, Layer, LogLevel, Option, Redacted } from "effect"
import { ApiConfig, type ApiSettings } from "../../src/config/ApiConfig.js"
import { BasisConfig, type BasisSettings } from "../../src/config/BasisConfig.js"
import { BudgetConfig, type BudgetSettings } from "../../src/config/BudgetConfig.js"
import { CacheConfig, type CacheSettings } from "../../src/config/CacheConfig.js"
import { ClusterConfig, type ClusterSettings } from "../../src/config/ClusterConfig.js"
import { ConfigWarnings } from "../../src/config/Configuration.js"
import { ConsumerConfig, type ConsumerSettings } from "../../src/config/ConsumerConfig.js"
import { ForecastConfig, type ForecastSettings } from "../../src/config/ForecastConfig.js"
import { HttpConfig, type HttpSettings } from "../../src/config/HttpConfig.js"
import { KedaConfig, type KedaSettings } from "../../src/config/KedaConfig.js"
import { LoggingConfig, type LoggingSettings } from "../../src/config/LoggingConfig.js"
import { PollingConfig, type PollingSettings } from "../../src/config/PollingConfig.js"
import { UkciConfig } from "../../src/config/UkciConfig.js"
import { WattTimeConfig } from "../../src/config/WattTimeConfig.js"
import { parseZoneChains } from "../../src/domain/ZoneChain.js"

export const TEST_API_KEY = "test-key-9f8e7d6c5b4a-must-never-leak"

/** Every concern's settings side by side (their field names are distinct), for overriding in one object. */
export type Settings =
  & BasisSettings
  & ApiSettings
  & CacheSettings
  & PollingSettings
  & HttpSettings
  & LoggingSettings
  & ForecastSettings
  & ClusterSettings
  & BudgetSettings
  & ConsumerSettings
  & KedaSettings
  & {
    readonly warnings: ReadonlyArray<string>
  }

/**
 * `zones` as a test writes them: keys or `|`-chains (`GB|ukci:national`), read as ZONES is, so a
 * test names its chains in one place and gets the keys and the chains that agree.
 */
const zoneSettings = (zones: ReadonlyArray<string>): Pick<Settings, "zones" | "chains"> => {
  const chains = Either.getOrThrow(parseZoneChains(zones.join(",")))
  return { zones: chains.map((chain) => chain.key), chains }
}

export const testSettings = (overrides: Partial<Settings> = {}): Settings => ({
  ...baseSettings(overrides),
  ...zoneSettings(overrides.zones ?? baseSettings({}).zones)
})

const baseSettings = (overrides: Partial<Settings>): Settings => ({
  apiKey: Redacted.make(TEST_API_KEY),
  pollIntervalMinutes: 5,
  cacheTtlMinutes: 10,
  cacheFile: "/cache/carbon_cache.json",
  zones: ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"],
  chains: [],
  apiUrl: "https://api.test/v4",
  signal: "average",
  emissionFactorType: "lifecycle",
  maxConcurrency: 5,
  maxReadingAgeMinutes: 180,
  requestTimeout: Duration.seconds(10),
  maxRetries: 3,
  retryBaseDelay: Duration.millis(500),
  retryMaxDelay: Duration.seconds(30),
  maxResponseBytes: 64 * 1024,
  maxRequestsPerSecond: 0,
  logFormat: "json",
  logLevel: LogLevel.Info,
  httpPort: 0,
  httpHost: "127.0.0.1",
  forecastWindowsMinutes: [],
  forecastHorizonHours: 24,
  forecastRefreshMinutes: 60,
  cluster: Option.none(),
  monthlyCalls: {},
  consumerToken: Option.none(),
  keda: Option.none(),
  warnings: [],
  ...overrides
})

/** The settings as the services that the configuration layer provides. */
export const configContext = (settings: Settings) =>
  Context.make(BasisConfig, settings).pipe(
    Context.add(ApiConfig, settings),
    // The other providers share the call knobs; no test reaches them unless it provides its own.
    Context.add(UkciConfig, { ...settings, apiUrl: "https://ukci.test" }),
    Context.add(WattTimeConfig, { ...settings, apiUrl: "https://watttime.test", credentials: Option.none() }),
    Context.add(CacheConfig, settings),
    Context.add(PollingConfig, settings),
    Context.add(HttpConfig, settings),
    Context.add(LoggingConfig, settings),
    Context.add(ForecastConfig, settings),
    Context.add(ClusterConfig, settings),
    Context.add(BudgetConfig, settings),
    Context.add(ConsumerConfig, settings),
    Context.add(KedaConfig, settings),
    Context.add(ConfigWarnings, settings.warnings)
  )

/** The settings, as the configuration layer would provide them. */
export const layer = (overrides: Partial<Settings> = {}) => Layer.succeedContext(configContext(testSettings(overrides)))
