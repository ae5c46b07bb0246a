/**
 * Regions WattTime refused as outside the account's plan (403 "Invalid scope"), so that a refusal
 * is reported once with WattTime's words and not at every poll. For an hour after a refusal the
 * region is not asked again: the answer would be the same, and each refusal spends the account's
 * requests. A refusal at a later check is reported briefly, as known. A region that answers is
 * forgotten, so a later refusal (a plan that shrank) is reported in full again.
 *
 * Kept per region, in the adapter: the latest value and the forecast come from the same endpoint,
 * so one refusal covers both.
 */
import { Clock, Duration, Effect, Option, Ref } from "effect"

export const PLAN_RECHECK = Duration.hours(1)

export interface Refused {
  /** When WattTime first refused the region (the refusal that was reported in full). */
  readonly firstAt: number
  /** Until then the region is not asked again. */
  readonly recheckAt: number
}

export interface PlanRefusals {
  /** The region's refusal while its recheck time has not come. */
  readonly pending: (region: string) => Effect.Effect<Option.Option<Refused>>
  /** Records a refusal; returns the earlier one when the region was refused before. */
  readonly refused: (
    region: string
  ) => Effect.Effect<{ readonly now: Refused; readonly before: Option.Option<Refused> }>
  readonly answered: (region: string) => Effect.Effect<void>
}

export const makePlanRefusals: Effect.Effect<PlanRefusals> = Effect.map(
  Ref.make<ReadonlyMap<string, Refused>>(new Map()),
  (ref) => ({
    pending: (region) =>
      Effect.flatMap(
        Clock.currentTimeMillis,
        (now) =>
          Effect.map(Ref.get(ref), (refused) =>
            Option.filter(Option.fromNullable(refused.get(region)), (entry) => now < entry.recheckAt))
      ),
    refused: (region) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(ref, (refused) => {
          const before = Option.fromNullable(refused.get(region))
          const entry: Refused = {
            firstAt: Option.match(before, { onNone: () => now, onSome: (earlier) => earlier.firstAt }),
            recheckAt: now + Duration.toMillis(PLAN_RECHECK)
          }
          return [{ now: entry, before }, new Map(refused).set(region, entry)]
        })),
    answered: (region) =>
      Ref.update(ref, (refused) => {
        if (!refused.has(region)) return refused
        const rest = new Map(refused)
        rest.delete(region)
        return rest
      })
  })
)
