/**
 * The names Electricity Maps gives a series' step (`temporalGranularity`): `hourly`, `daily`, and
 * `<n>_minutes` (`5_minutes`, `15_minutes`; the UK's half-hours are `30_minutes` in the same way).
 * One place for both directions, so a provider's answer, the forecast core and the read API agree.
 */

/** Minutes per step of a named granularity; `undefined` for a name outside those forms. */
export const granularityMinutes = (granularity: string): number | undefined => {
  if (granularity === "hourly") return 60
  if (granularity === "daily") return 24 * 60
  const minutes = /^([1-9]\d*)_minutes$/.exec(granularity)
  return minutes === null ? undefined : Number(minutes[1])
}

/** The name of a step of whole minutes (`hourly` for 60); `undefined` for anything else. */
export const granularityName = (minutes: number): string | undefined =>
  !Number.isInteger(minutes) || minutes <= 0
    ? undefined
    : minutes === 60
    ? "hourly"
    : minutes === 24 * 60
    ? "daily"
    : `${minutes}_minutes`
