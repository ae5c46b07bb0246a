/**
 * How to reach the UK Carbon Intensity API: its base URL, and the same patience as every
 * provider (timeout, retries, body cap). The API takes no credentials, so there is none to hold.
 */
import { Config, Context } from "effect"
import { baseUrlConfig, type BaseUrlRules, callConfig } from "./ApiConfig.js"

export const UKCI_URL_VARIABLE = "UKCI_API_URL"
export const DEFAULT_UKCI_API_URL = "https://api.carbonintensity.org.uk"

export type UkciSettings = { readonly apiUrl: string } & Config.Config.Success<typeof callConfig>

export class UkciConfig extends Context.Tag("carbon-poller/UkciConfig")<UkciConfig, UkciSettings>() {}

/** No key travels, but the answers are ranked and published: they must not be altered on the way. */
export const UKCI_URL_RULES: BaseUrlRules = {
  example: DEFAULT_UKCI_API_URL,
  shape: "https://host",
  credentialsHint: "the UK Carbon Intensity API takes none",
  plainHttpHint: "so the answers cannot be altered on the way"
}

export const ukciUrlConfig = baseUrlConfig(UKCI_URL_VARIABLE, DEFAULT_UKCI_API_URL, UKCI_URL_RULES)

/** The UK settings alone (its URL and the shared call knobs); the loader reads the knobs once for all. */
export const ukciConfig: Config.Config<UkciSettings> = Config.all({
  apiUrl: ukciUrlConfig,
  call: callConfig
}).pipe(Config.map(({ apiUrl, call }) => ({ apiUrl, ...call })))
