/**
 * One zone's forecast as the KEDA ConfigMap needs it, read from what the forecast refresher holds:
 * the records of its latest good forecast, and a message when those are not the news (the last
 * refresh failed, the zone has no forecast, the forecast ends before now). Pure.
 */
import { Option } from "effect"
import { formatInstant } from "../../domain/Time.js"
import type { ForecastSeries } from "../../forecast/ForecastSeries.js"
import type { ForecastSnapshot } from "../../forecast/ForecastState.js"
import { type Slot, slotsOfStep } from "./ExporterFormat.js"

export interface ZoneForecast {
  /** The latest good forecast as records; None when there has been none. */
  readonly slots: Option.Option<ReadonlyArray<Slot>>
  /** Empty when the records are the latest forecast and reach now. */
  readonly message: string
  /** Changes with every refresh of the zone, good or failed: a publish is due when it does. */
  readonly refresh: string
}

/** Each point lasts until the next one; the last for the series' step. */
export const slotsOfSeries = (series: ForecastSeries): ReadonlyArray<Slot> =>
  series.points.flatMap((point, i) =>
    slotsOfStep({
      at: point.at,
      end: series.points[i + 1]?.at ?? point.at + series.stepMillis,
      value: point.carbonIntensity
    })
  )

export const zoneForecast = (snapshot: ForecastSnapshot, zone: string, now: number): ZoneForecast => {
  const state = snapshot.byZone.get(zone)
  const good = state?.lastGood
  const failure = state?.lastFailure
  const refresh = `${good?.fetchedAt ?? ""}/${failure?.at ?? ""}`
  const notAsked = snapshot.notAsked.find((entry) => entry.zone === zone)
  if (good === undefined) {
    const why = notAsked ?? failure
    return {
      slots: Option.none(),
      message: why === undefined
        ? `no forecast for ${zone} yet`
        : `no forecast for ${zone}: ${why.reason}: ${why.message}`,
      refresh
    }
  }
  const slots = slotsOfSeries(good.series)
  const last = slots.at(-1)
  const end = last === undefined ? now : last.start + last.minutes * 60_000
  const fetched = formatInstant(good.fetchedAt)
  const message = failure !== undefined && failure.at > good.fetchedAt
    ? `forecast for ${zone} not refreshed at ${
      formatInstant(failure.at)
    } (${failure.reason}: ${failure.message}); showing the forecast fetched at ${fetched}`
    : end <= now
    ? `the forecast for ${zone} fetched at ${fetched} ends at ${formatInstant(end)}, before now`
    : ""
  return { slots: Option.some(slots), message, refresh }
}
