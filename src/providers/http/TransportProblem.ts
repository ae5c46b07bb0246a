/**
 * What a failed connection means, in words: Node reports `getaddrinfo ENOTFOUND host` or
 * `connect ECONNREFUSED 1.2.3.4:443`, which names neither the setting to check nor whether the
 * host was found at all.
 */
import { errorCode } from "../../platform/ErrorCode.js"

const hostOf = (baseUrl: string): { readonly hostname: string; readonly host: string } => {
  try {
    const url = new URL(baseUrl)
    return { hostname: url.hostname, host: url.host }
  } catch {
    return { hostname: baseUrl, host: baseUrl }
  }
}

/**
 * One sentence for a request that got no HTTP answer from `baseUrl`; `raw` (Node's own text) when
 * the code is not one of those below.
 */
export const describeTransport = (cause: unknown, baseUrl: string, raw: string): string => {
  const code = errorCode(cause)
  const { host, hostname } = hostOf(baseUrl)
  switch (code) {
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_FAIL":
    case "EAI_NONAME":
      return `the API host ${hostname} could not be resolved (DNS: ${code}); no request was sent`
    case "ECONNREFUSED":
      return `${host} refused the connection (${code}): nothing listens there`
    case "ECONNRESET":
    case "EPIPE":
      return `the connection to ${host} was cut (${code})`
    case "ETIMEDOUT":
    case "ENETUNREACH":
    case "EHOSTUNREACH":
    case "ENETDOWN":
    case "EHOSTDOWN":
      return `${host} could not be reached (${code})`
    case undefined:
      return raw
    default:
      return /CERT|SSL|TLS|SELF_SIGNED|VERIFY/.test(code)
        ? `the TLS certificate of ${host} was not accepted (${code}); behind a TLS-inspecting proxy, give Node its CA with NODE_EXTRA_CA_CERTS`
        : raw
  }
}
