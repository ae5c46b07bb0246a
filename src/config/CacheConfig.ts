/** Where the cache file goes and how long a written cache stays valid. */
import { Config, ConfigError, Context, Either } from "effect"
import { positiveNumber } from "./Variables.js"

export const DEFAULT_CACHE_FILE = "/cache/carbon_cache.json"

export interface CacheSettings {
  readonly cacheFile: string
  readonly cacheTtlMinutes: number
}

export class CacheConfig extends Context.Tag("carbon-poller/CacheConfig")<CacheConfig, CacheSettings>() {}

export const cacheConfig: Config.Config<CacheSettings> = Config.all({
  cacheFile: Config.string("CACHE_FILE").pipe(
    Config.mapOrFail((raw) =>
      raw.trim() === "" || raw.endsWith("/")
        ? Either.left(ConfigError.InvalidData([], `must be a file path, e.g. ${DEFAULT_CACHE_FILE}`))
        : Either.right(raw)
    ),
    Config.withDefault(DEFAULT_CACHE_FILE)
  ),
  cacheTtlMinutes: positiveNumber("CACHE_TTL_MINUTES", { fallback: 10, unit: "minutes" })
})
