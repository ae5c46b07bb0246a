/**
 * The zone the demo fails for one poll, so the last-known-good rule shows: one that is polled,
 * whatever ZONES says (a fixed zone would be missing from `ZONES=DE,FR,SE npm run demo`), and the
 * simulator's fault that fails it, on its own provider's route.
 */
import { parseZoneRef } from "../domain/Provider.js"
import type { FaultRuleInput } from "../simulator/Fault.js"

export const flakyZoneOf = (zones: ReadonlyArray<string>): string | undefined => zones[1] ?? zones[0]

/** A 503 for the zone's next `attempts` requests: one poll's attempts, retries included. */
export const outageOf = (zone: string, attempts: number): FaultRuleInput => {
  const ref = parseZoneRef(zone)
  const fault = { kind: "server-error", status: 503 } as const
  const when = { next: attempts }
  switch (ref.provider) {
    case "electricitymaps":
      return { zone: ref.id, fault, route: "latest", when }
    case "ukci":
      return { provider: "ukci", zone: ref.id, fault, route: "latest", when }
    case "watttime":
      return { zone: ref.id, fault, route: "watttime-forecast", when }
  }
}
