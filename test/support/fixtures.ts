/** The recorded Electricity Maps bodies (verbatim, with their origins in test/fixtures/electricity-maps/SOURCES.md). */
import { readdirSync, readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/electricity-maps/", import.meta.url))

export const fixtureText = (name: string): string => readFileSync(`${FIXTURES_DIR}${name}`, "utf8")

export const fixtureJson = (name: string): Record<string, unknown> =>
  JSON.parse(fixtureText(name)) as Record<string, unknown>

export const fixtureNames = (prefix: string): Array<string> =>
  readdirSync(FIXTURES_DIR).filter((name) => name.startsWith(prefix)).sort()

/** The UK Carbon Intensity API's bodies (verbatim; origins in test/fixtures/carbon-intensity-uk/SOURCES.md). */
export const UKCI_FIXTURES_DIR = fileURLToPath(new URL("../fixtures/carbon-intensity-uk/", import.meta.url))

export const ukciFixtureText = (name: string): string => readFileSync(`${UKCI_FIXTURES_DIR}${name}`, "utf8")

/**
 * Stands for the hour the request is answered in: the fake API (test/support/FakeApi.ts) writes the
 * current hour of the test's clock there, so a reading is as fresh as a real one would be.
 */
export const CURRENT_HOUR = "__CURRENT_HOUR__"

/** The current hour of an epoch-millisecond time, as the API writes `datetime`. */
export const hourOf = (epochMillis: number): string =>
  new Date(Math.floor(epochMillis / 3_600_000) * 3_600_000).toISOString()

/**
 * A realistic `latest` body for any zone: the recorded FR answer with the zone and value swapped,
 * dated the current hour (see `CURRENT_HOUR`) unless `overrides` says otherwise.
 */
export const latestBody = (zone: string, carbonIntensity: number | null, overrides: Record<string, unknown> = {}) =>
  JSON.stringify({ ...fixtureJson("latest.FR.json"), zone, carbonIntensity, datetime: CURRENT_HOUR, ...overrides })

/**
 * A forecast body shaped like the recorded `forecast.DE.json`: hourly points from `startIso` with
 * the given values (or `[datetime, value]` pairs), plus `temporalGranularity` and overrides when given.
 */
export const forecastBody = (
  zone: string,
  startIso: string,
  values: ReadonlyArray<number | null>,
  overrides: Record<string, unknown> = {}
) =>
  JSON.stringify({
    zone,
    forecast: values.map((carbonIntensity, i) => ({
      carbonIntensity,
      datetime: new Date(Date.parse(startIso) + i * 3_600_000).toISOString()
    })),
    updatedAt: new Date(Date.parse(startIso) - 10 * 60_000).toISOString(),
    ...overrides
  })
