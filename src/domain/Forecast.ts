/**
 * What a carbon-intensity source hands back for a forecast, whoever the provider is: the points as
 * sent, unchecked. The checks (right zone, finite values in range, parseable instants) happen in
 * the core (src/forecast/ForecastSeries.ts), so every provider is held to the same rules.
 */

export interface ForecastPointAsSent {
  readonly datetime: string
  readonly carbonIntensity: number | null
}

export interface Forecast {
  /** The zone the answer names (it may differ from the zone asked for; the core refuses that). */
  readonly zone: string
  /** When the provider computed the forecast, as it wrote it. */
  readonly updatedAt?: string | undefined
  /** The provider's name for the spacing of the points (`hourly`, `15_minutes`), when it says. */
  readonly temporalGranularity?: string | null | undefined
  readonly points: ReadonlyArray<ForecastPointAsSent>
}
