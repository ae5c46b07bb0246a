/**
 * A source without HTTP: fixed readings, as a provider without an API might hand them over, keyed
 * by the provider's own ids (`A` for `ukci:A`). It provides the port (for an adapter list) and a
 * registry of itself alone (for services built without the assembly).
 */
import { Context, Duration, Effect, Layer } from "effect"
import type { Basis, ProviderId } from "../../src/domain/Provider.js"
import type { Reading } from "../../src/domain/Reading.js"
import { CarbonSource, type CarbonSourceShape, SourceError } from "../../src/ports/CarbonSource.js"
import { makeRegistry, SourceRegistry } from "../../src/ports/SourceRegistry.js"
import { aReading } from "./samples.js"

export interface StaticSourceOptions {
  readonly requestTimeout?: Duration.DurationInput
  readonly provider?: ProviderId
  /** The basis its values are of; average, lifecycle unless said. */
  readonly basis?: Basis
  /** Give each catalogue zone a name, as a provider with a list of regions does. */
  readonly named?: boolean
  /** Ids that fail now (a test may change the set between polls), as an outage would. */
  readonly down?: ReadonlySet<string>
  /** Fields every reading it gives carries instead of its own (a wrong answer on purpose). */
  readonly overrides?: Partial<Reading>
  /** The catalogue refuses with this message, as one that needs credentials the run lacks does. */
  readonly catalogueRefused?: string
  /** Every id asked for, in order, for a test to count the calls. */
  readonly asked?: Array<string>
}

export const staticShape = (
  intensities: Readonly<Record<string, number>>,
  options: StaticSourceOptions = {}
): CarbonSourceShape => {
  const basis = options.basis ?? { signal: "average", emissionFactorType: "lifecycle" }
  return CarbonSource.of({
    provider: options.provider ?? "electricitymaps",
    name: `static ${options.provider ?? "electricitymaps"}`,
    basis,
    requestTimeout: Duration.decode(options.requestTimeout ?? "10 seconds"),
    latest: (zone) =>
      Effect.suspend(() => {
        options.asked?.push(zone)
        if (options.down?.has(zone) === true) {
          return Effect.fail(
            new SourceError({ zone, reason: "ServerError", status: 503, detail: `zone ${zone}: ServerError: down` })
          )
        }
        return zone in intensities
          ? Effect.succeed(
            aReading(zone, intensities[zone]!, {
              datetime: "1970-01-01T00:00:00Z",
              updatedAt: "1970-01-01T00:00:00Z",
              emissionFactorType: basis.emissionFactorType,
              ...options.overrides
            })
          )
          : Effect.fail(
            new SourceError({ zone, reason: "ZoneNotFound", detail: `zone ${zone}: not in the static table` })
          )
      }),
    catalogue: options.catalogueRefused === undefined
      ? Effect.succeed(
        Object.keys(intensities).map((zone) =>
          options.named === true ? { zone, name: `static ${zone}`, access: undefined } : { zone, access: undefined }
        )
      )
      : Effect.fail(new SourceError({ zone: undefined, reason: "Unauthorized", detail: options.catalogueRefused })),
    forecast: (zone) => Effect.fail(new SourceError({ zone, reason: "NoData", detail: "no forecasts here" }))
  })
}

export const staticSource = (intensities: Readonly<Record<string, number>>, options: StaticSourceOptions = {}) => {
  const shape = staticShape(intensities, options)
  return Layer.merge(Layer.succeed(CarbonSource, shape), Layer.succeed(SourceRegistry, makeRegistry([shape])))
}

/**
 * The UK provider played by the fake Electricity Maps API (test/support/FakeApi.ts): its ids are
 * asked for as `ukci:ID` keys of the fake, so a test over the fake counts and scripts UK calls as
 * it does the others'. Joined to the adapter list as `{ provider: "ukci", layer }`.
 */
export const ukciThroughFakeApi = <R>(electricityMaps: Layer.Layer<CarbonSource, never, R>) =>
  Layer.map(electricityMaps, (context) => {
    const em = Context.get(context, CarbonSource)
    const own = (zone: string) => zone.replace(/^ukci:/, "")
    return Context.add(
      context,
      CarbonSource,
      CarbonSource.of({
        ...em,
        provider: "ukci",
        latest: (id) => Effect.map(em.latest(`ukci:${id}`), (reading) => ({ ...reading, zone: own(reading.zone) })),
        forecast: (id, hours) =>
          Effect.map(em.forecast(`ukci:${id}`, hours), (forecast) => ({ ...forecast, zone: own(forecast.zone) })),
        catalogue: Effect.map(
          em.catalogue,
          (zones) => zones.flatMap((zone) => zone.zone.startsWith("ukci:") ? [{ ...zone, zone: own(zone.zone) }] : [])
        )
      })
    )
  })
