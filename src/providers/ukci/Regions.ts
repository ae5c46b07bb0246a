/**
 * The zones of the UK Carbon Intensity API: Great Britain as a whole (`national`) and the 17
 * regions of its regional routes, named as in the API's "List of GB Regions" (1–14 are the
 * distribution network operators' regions, 15–17 England, Scotland and Wales). The list is fixed
 * and free to query, so the catalogue is this list, not a request.
 */
import type { CatalogueZone, ZoneCatalogue } from "../../domain/Reading.js"

export const NATIONAL = "national"

const REGION_NAMES: ReadonlyArray<string> = [
  "North Scotland",
  "South Scotland",
  "North West England",
  "North East England",
  "Yorkshire",
  "North Wales & Merseyside",
  "South Wales",
  "West Midlands",
  "East Midlands",
  "East England",
  "South West England",
  "South England",
  "London",
  "South East England",
  "England",
  "Scotland",
  "Wales"
]

/** `national`, then `1` … `17`, each with its name; everything is free, so latest and forecast are covered. */
export const UKCI_CATALOGUE: ZoneCatalogue = [
  { zone: NATIONAL, name: "Great Britain", access: { latest: true, forecast: true } },
  ...REGION_NAMES.map((name, index): CatalogueZone => ({
    zone: String(index + 1),
    name,
    access: { latest: true, forecast: true }
  }))
]

/** The region id of a zone id (`"13"` → 13), `"national"` as is, or undefined for anything else. */
export const parseZoneId = (id: string): typeof NATIONAL | number | undefined => {
  if (id === NATIONAL) return NATIONAL
  if (!/^[1-9]\d?$/.test(id)) return undefined
  const region = Number(id)
  return region <= REGION_NAMES.length ? region : undefined
}
