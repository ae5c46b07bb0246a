/**
 * Three clients of Electricity Maps' API, written here (not copied) from what each consumer's
 * published source does on the wire, so the read API is tested against their behaviour rather than
 * against our own reader. Each takes a base URL and a token, as its configuration does, and is
 * pointed at carbon-poller and at the simulator in turn.
 *
 * What was checked in each project's public source:
 *
 * - compute-gardener-scheduler (elevated-systems), pkg/computegardener/api/client.go and its
 *   config loader: the configured URL is the whole prefix up to the zone, by default
 *   `https://api.electricitymap.org/v3/carbon-intensity/latest?zone=`, and the region is appended
 *   to it as is. Headers `auth-token`, `Content-Type: application/json`, `Accept: application/json`.
 *   200 goes on; 429, 401, 404 and anything else are errors. The body is decoded into
 *   `carbonIntensity` (float64) and `timestamp` (Go `time.Time`, so RFC 3339 when present: the
 *   cache's own `timestamp` layout would fail the decode; absent, it takes the current time). A
 *   negative value is refused.
 * - grid-intensity-go (thegreenwebfoundation), pkg/provider/electricity_maps.go: the API URL
 *   defaults to `https://api.electricitymap.org/v3`; it asks `{url}/carbon-intensity/history?zone=Z`
 *   (the path joined to the base path, the zone not escaped) with `auth-token`; any status but 200
 *   is an error. From `history[]` it keeps the most recent estimated point and the most recent
 *   measured one by `datetime` (parsed as RFC 3339 with fractions; a point that does not parse is
 *   skipped), each valid for 60 minutes from its `datetime`, estimated first.
 * - The Carbon Aware SDK (Green-Software-Foundation/carbon-aware-sdk), its ElectricityMaps data
 *   source: the base URL (default `https://api.electricitymap.org/v3/`, with a trailing slash: the
 *   paths are relative) and the token header are configured; before the first history or forecast
 *   it asks `zones` once, and a zone missing there, or whose `access` has neither the path nor
 *   `*`, fails the call (a failing `zones` answer fails it too). History:
 *   `carbon-intensity/history?zone=Z` plus `emissionFactorType` when configured, decoded with
 *   `carbonIntensity` as an integer (`int?`: a fraction fails the decode) and `datetime`,
 *   `updatedAt`, `createdAt` as date-times; each point becomes a value at its `datetime`, lasting
 *   the spacing of the first two points. Forecast: `carbon-intensity/forecast?zone=Z`,
 *   `forecast[]` with `carbonIntensity` as a non-null integer and `datetime`, and `updatedAt`.
 */
import { Effect } from "effect"

export class ClientFailure extends Error {}

/** A client's call: a refusal or a body it cannot read fails it, as it would fail the consumer. */
const call = <A>(run: () => Promise<A>) =>
  Effect.tryPromise({
    try: run,
    catch: (error) => error instanceof ClientFailure ? error : new ClientFailure(String(error))
  })

const fail = (message: string): never => {
  throw new ClientFailure(message)
}

/** RFC 3339 with an optional fraction, as Go's `time.RFC3339Nano` layout and .NET's ISO reader accept. */
const parseDateTime = (text: unknown): number => {
  if (
    typeof text !== "string" ||
    !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(text)
  ) return fail(`not a date-time: ${JSON.stringify(text)}`)
  return Date.parse(text)
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value)

const getJson = async (url: string, headers: Record<string, string>): Promise<unknown> => {
  const response = await fetch(url, { headers })
  if (response.status !== 200) fail(`${url}: HTTP ${response.status}: ${await response.text()}`)
  return response.json()
}

/** compute-gardener's scheduler plugin: the current intensity of one region. */
export const computeGardenerLatest = (latestUrlPrefix: string, token: string, region: string) =>
  call(async () => {
    const body = await getJson(`${latestUrlPrefix}${region}`, {
      "auth-token": token,
      "content-type": "application/json",
      accept: "application/json"
    })
    if (!isRecord(body)) return fail("not an object")
    const carbonIntensity = typeof body["carbonIntensity"] === "number" ? body["carbonIntensity"] : 0
    if (body["timestamp"] !== undefined) parseDateTime(body["timestamp"])
    if (carbonIntensity < 0) fail(`invalid carbon intensity value: ${carbonIntensity}`)
    return { carbonIntensity }
  })

export interface GridIntensityValue {
  readonly value: number
  readonly validFrom: number
  readonly validTo: number
  readonly isEstimated: boolean
}

/** grid-intensity-go's Electricity Maps provider: the latest estimated and measured values. */
export const gridIntensityGo = (apiUrl: string, token: string, zone: string) =>
  call(async (): Promise<ReadonlyArray<GridIntensityValue>> => {
    const base = new URL(apiUrl)
    const url = `${base.origin}${base.pathname.replace(/\/$/, "")}/carbon-intensity/history?zone=${zone}`
    const body = await getJson(url, { "auth-token": token })
    const history = isRecord(body) && Array.isArray(body["history"]) ? body["history"] : []
    let estimated: { at: number; value: number } | undefined
    let measured: { at: number; value: number } | undefined
    for (const point of history) {
      if (!isRecord(point)) continue
      let at: number
      try {
        at = parseDateTime(point["datetime"])
      } catch {
        continue
      }
      const value = typeof point["carbonIntensity"] === "number" ? point["carbonIntensity"] : 0
      if (point["isEstimated"] === true) {
        if (estimated === undefined || estimated.at < at) estimated = { at, value }
      } else if (measured === undefined || measured.at < at) {
        measured = { at, value }
      }
    }
    const valueOf = (point: { at: number; value: number }, isEstimated: boolean): GridIntensityValue => ({
      value: point.value,
      validFrom: point.at,
      validTo: point.at + 3_600_000,
      isEstimated
    })
    return [
      ...(estimated === undefined ? [] : [valueOf(estimated, true)]),
      ...(measured === undefined ? [] : [valueOf(measured, false)])
    ]
  })

export interface EmissionsData {
  readonly rating: number
  readonly time: number
  readonly durationMillis: number
}

const integerOrNull = (value: unknown): number | null =>
  value === null
    ? null
    : Number.isInteger(value) && typeof value === "number"
    ? value
    : fail(`not an integer: ${value}`)

/** The Carbon Aware SDK's Electricity Maps client and data source. */
export const carbonAwareSdk = (baseUrl: string, token: string, emissionFactorType?: string) => {
  if (!baseUrl.endsWith("/")) fail("the base URL must end with '/': the SDK resolves relative paths against it")
  const headers = { "auth-token": token, accept: "application/json" }
  const url = (relative: string) => new URL(relative, baseUrl).toString()
  let zones: Promise<unknown> | undefined
  const checkZone = async (path: string, zone: string) => {
    zones ??= getJson(url("zones"), headers)
    const known = await zones
    const data = isRecord(known) ? known[zone] : undefined
    if (!isRecord(data)) return fail(`Zone ${zone} not supported for current token.`)
    const access = Array.isArray(data["access"]) ? data["access"] : []
    if (!access.includes(path) && !access.includes("*")) {
      fail(`Path ${path} not supported for current token on zone ${zone}.`)
    }
  }
  const spacing = (times: ReadonlyArray<number>) => times.length < 2 ? 0 : Math.abs((times[0] ?? 0) - (times[1] ?? 0))

  const history = (zone: string) =>
    call(async (): Promise<ReadonlyArray<EmissionsData>> => {
      await checkZone("carbon-intensity/history", zone)
      const query = new URLSearchParams({ zone, ...(emissionFactorType ? { emissionFactorType } : {}) })
      const body = await getJson(url(`carbon-intensity/history?${query}`), headers)
      const points = isRecord(body) && Array.isArray(body["history"]) ? body["history"] : []
      const decoded = points.map((point) => {
        if (!isRecord(point)) return fail("a history point is not an object")
        for (const field of ["updatedAt", "createdAt"]) if (point[field] !== undefined) parseDateTime(point[field])
        return { value: integerOrNull(point["carbonIntensity"]), time: parseDateTime(point["datetime"]) }
      })
      const duration = spacing(decoded.map((point) => point.time))
      return decoded.map((point) => ({ rating: point.value ?? -1, time: point.time, durationMillis: duration }))
    })

  const forecast = (zone: string) =>
    call(async () => {
      await checkZone("carbon-intensity/forecast", zone)
      const body = await getJson(url(`carbon-intensity/forecast?${new URLSearchParams({ zone })}`), headers)
      if (!isRecord(body) || !Array.isArray(body["forecast"])) return fail("not a forecast")
      const generatedAt = body["updatedAt"] === undefined ? 0 : parseDateTime(body["updatedAt"])
      const points = body["forecast"].map((point: unknown) => {
        if (!isRecord(point)) return fail("a forecast point is not an object")
        const rating = integerOrNull(point["carbonIntensity"])
        return { rating: rating ?? fail("a forecast value is null"), time: parseDateTime(point["datetime"]) }
      })
      const duration = spacing(points.map((point) => point.time))
      return { generatedAt, data: points.map((point) => ({ ...point, durationMillis: duration })) }
    })

  return { history, forecast }
}
