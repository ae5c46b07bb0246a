/** Settings for tests: the defaults of CONTRACT section 2 with a distinctive key and a test URL. */
import { Duration, Layer, LogLevel, Redacted } from "effect"
import { PollerConfig, type Settings } from "../../src/Config.js"

export const TEST_API_KEY = "test-key-9f8e7d6c5b4a-must-never-leak"

export const testSettings = (overrides: Partial<Settings> = {}): Settings => ({
  apiKey: Redacted.make(TEST_API_KEY),
  pollIntervalMinutes: 5,
  cacheTtlMinutes: 10,
  cacheFile: "/cache/carbon_cache.json",
  zones: ["US-CAL-CISO", "US-TEX-ERCO", "US-NY-NYIS", "US-MIDA-PJM", "US-MIDW-MISO"],
  apiUrl: "https://api.test/v3",
  emissionFactorType: "lifecycle",
  maxConcurrency: 5,
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
  warnings: [],
  ...overrides
})

export const testConfigLayer = (overrides: Partial<Settings> = {}) => Layer.succeed(PollerConfig, testSettings(overrides))
