/**
 * Suggestions by a zone's name, for keys that name a place instead of an id: `ukci:london` is
 * region 13, which its id alone gives no hint of. A suggestion says both: `13 (London)`.
 */
import { editDistance } from "../domain/EditDistance.js"
import type { ZoneCatalogue } from "../domain/Reading.js"

/** Lower-case letters and digits only: `North Wales & Merseyside`, `north-wales-merseyside` read alike. */
const fold = (text: string): string => text.toLowerCase().replace(/[^a-z0-9]/g, "")

/** Words shorter than this match too many names to be a hint. */
const MIN_WORD = 3

/**
 * Zones whose name is the word typed, holds it or is held in it (`ukci:london` holds `london`), or
 * is a typo away from it; the exact name first, then the closest. At most `limit`.
 */
export const suggestByName = (wanted: string, catalogue: ZoneCatalogue, limit = 3): Array<string> => {
  const word = fold(wanted)
  if (word.length < MIN_WORD) return []
  return catalogue
    .flatMap((zone) => {
      if (zone.name === undefined) return []
      const name = fold(zone.name)
      if (name.length < MIN_WORD) return []
      const distance = editDistance(word, name)
      const related = name === word || name.includes(word) || word.includes(name) ||
        distance <= Math.max(1, Math.floor(word.length / 5))
      return related ? [{ label: `${zone.zone} (${zone.name})`, exact: name === word, distance }] : []
    })
    .sort((a, b) => Number(b.exact) - Number(a.exact) || a.distance - b.distance || (a.label < b.label ? -1 : 1))
    .slice(0, limit)
    .map((match) => match.label)
}
