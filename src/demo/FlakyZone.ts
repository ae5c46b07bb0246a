/**
 * The zone the demo fails for one poll, so the last-known-good rule shows: one that is polled,
 * whatever ZONES says (a fixed zone would be missing from `ZONES=DE,FR,SE npm run demo`).
 */
export const flakyZoneOf = (zones: ReadonlyArray<string>): string | undefined => zones[1] ?? zones[0]
