/**
 * What a `/zones` answer's `access` list allows. Entries are endpoint paths, written with or
 * without a leading slash and an API version (`carbon-intensity/latest`, `/v4/carbon-intensity/*`),
 * or `*` for everything.
 */
const withoutVersion = (entry: string): string => entry.trim().replace(/^\/?(?:v\d+\/)?/, "")

const covers = (access: ReadonlyArray<string>, route: string): boolean =>
  access.some((entry) => {
    const path = withoutVersion(entry)
    return path === "*" || path === route || path === "carbon-intensity/*" || path === "carbon-intensity"
  })

/** True when the list lets the key ask for the latest carbon intensity. */
export const coversLatest = (access: ReadonlyArray<string>): boolean => covers(access, "carbon-intensity/latest")

/** True when the list lets the key ask for forecasts. */
export const coversForecast = (access: ReadonlyArray<string>): boolean => covers(access, "carbon-intensity/forecast")
