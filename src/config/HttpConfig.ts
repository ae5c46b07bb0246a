/**
 * Where the HTTP endpoints listen. All interfaces by default: the kubelet's probes and Prometheus
 * reach a pod on its own address, not on loopback, and the endpoints expose nothing secret (the
 * cache is what every reader in the pod may read anyway). `HTTP_HOST=127.0.0.1` keeps them local.
 */
import { Config, ConfigError, Context, Either } from "effect"
import { wholeNumber } from "./Variables.js"

export const DEFAULT_HTTP_PORT = 9477
export const DEFAULT_HTTP_HOST = "0.0.0.0"

export interface HttpSettings {
  /** 0 disables the HTTP endpoints. */
  readonly httpPort: number
  readonly httpHost: string
}

export class HttpConfig extends Context.Tag("carbon-poller/HttpConfig")<HttpConfig, HttpSettings>() {}

export const httpConfig: Config.Config<HttpSettings> = Config.all({
  httpPort: wholeNumber("HTTP_PORT", {
    fallback: DEFAULT_HTTP_PORT,
    min: 0,
    max: 65535,
    what: "0 disables the HTTP endpoints"
  }),
  httpHost: Config.string("HTTP_HOST").pipe(
    Config.mapOrFail((raw) =>
      raw.trim() === "" || /[\s/]/.test(raw)
        ? Either.left(ConfigError.InvalidData([], "must be a host name or address to listen on, e.g. 0.0.0.0"))
        : Either.right(raw)
    ),
    Config.withDefault(DEFAULT_HTTP_HOST)
  )
})
