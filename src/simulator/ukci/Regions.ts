/**
 * The regions the simulated UK Carbon Intensity API knows, as its regional answers name them
 * (`shortname`, `dnoregion`), with a typical intensity that orders them roughly as the real grid
 * does: Scotland's wind and hydro far below South Wales' gas.
 *
 * `dnoregion` names confirmed by recorded answers or the docs: Electricity North West (3), UKPN
 * London (13), UKPN South East (14); the others are as seen in public client code.
 */
export interface SimulatedRegion {
  readonly shortname: string
  readonly dnoregion: string
  /** gCO2/kWh around which the region's curve swings. */
  readonly typical: number
}

/** Index `id - 1`. */
export const REGIONS: ReadonlyArray<SimulatedRegion> = [
  { shortname: "North Scotland", dnoregion: "Scottish Hydro Electric Power Distribution", typical: 25 },
  { shortname: "South Scotland", dnoregion: "SP Distribution", typical: 60 },
  { shortname: "North West England", dnoregion: "Electricity North West", typical: 170 },
  { shortname: "North East England", dnoregion: "NPG North East", typical: 130 },
  { shortname: "Yorkshire", dnoregion: "NPG Yorkshire", typical: 230 },
  { shortname: "North Wales & Merseyside", dnoregion: "SP Manweb", typical: 160 },
  { shortname: "South Wales", dnoregion: "WPD South Wales", typical: 260 },
  { shortname: "West Midlands", dnoregion: "WPD West Midlands", typical: 220 },
  { shortname: "East Midlands", dnoregion: "WPD East Midlands", typical: 210 },
  { shortname: "East England", dnoregion: "UKPN East", typical: 170 },
  { shortname: "South West England", dnoregion: "WPD South West", typical: 150 },
  { shortname: "South England", dnoregion: "SSE South", typical: 180 },
  { shortname: "London", dnoregion: "UKPN London", typical: 190 },
  { shortname: "South East England", dnoregion: "UKPN South East", typical: 160 },
  { shortname: "England", dnoregion: "England", typical: 180 },
  { shortname: "Scotland", dnoregion: "Scotland", typical: 40 },
  { shortname: "Wales", dnoregion: "Wales", typical: 230 }
]

/** Great Britain as a whole. */
export const NATIONAL_TYPICAL = 150

/** The region of a path's `{id}`: 1 … 17 written plainly, nothing else. */
export const regionOf = (id: string): { readonly id: number; readonly region: SimulatedRegion } | undefined => {
  if (!/^[1-9]\d?$/.test(id)) return undefined
  const region = REGIONS[Number(id) - 1]
  return region === undefined ? undefined : { id: Number(id), region }
}
