/** A source without HTTP: fixed readings, as a provider without an API might hand them over. */
import { Duration, Effect, Layer } from "effect"
import type { ProviderId } from "../../src/domain/Provider.js"
import { CarbonSource, SourceError } from "../../src/ports/CarbonSource.js"
import { aReading } from "./samples.js"

export const staticSource = (
  intensities: Readonly<Record<string, number>>,
  options: {
    readonly requestTimeout?: Duration.DurationInput
    readonly provider?: ProviderId
    /** Give each catalogue zone a name, as a provider with a list of regions does. */
    readonly named?: boolean
  } = {}
) =>
  Layer.succeed(
    CarbonSource,
    CarbonSource.of({
      provider: options.provider ?? "electricitymaps",
      name: "static",
      basis: { signal: "average", emissionFactorType: "lifecycle" },
      requestTimeout: Duration.decode(options.requestTimeout ?? "10 seconds"),
      latest: (zone) =>
        zone in intensities
          ? Effect.succeed(
            aReading(zone, intensities[zone]!, {
              datetime: "1970-01-01T00:00:00Z",
              updatedAt: "1970-01-01T00:00:00Z"
            })
          )
          : Effect.fail(
            new SourceError({ zone, reason: "ZoneNotFound", detail: `zone ${zone}: not in the static table` })
          ),
      catalogue: Effect.succeed(
        Object.keys(intensities).map((zone) =>
          options.named === true ? { zone, name: `static ${zone}`, access: undefined } : { zone, access: undefined }
        )
      ),
      forecast: (zone) => Effect.fail(new SourceError({ zone, reason: "NoData", detail: "no forecasts here" }))
    })
  )
