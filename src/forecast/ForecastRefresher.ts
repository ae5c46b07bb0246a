/**
 * The forecasts refreshed now and then every `FORECAST_REFRESH_MINUTES`, for the life of the
 * layer, for the zones the start plan says have forecasts; nothing when forecasts are off.
 */
import { Effect, Layer } from "effect"
import { StartPlan } from "../poll/ZoneCheck.js"
import { Forecasts } from "./Forecasts.js"

export const layer = Layer.scopedDiscard(
  Effect.flatMap(Effect.all([Forecasts, StartPlan]), ([forecasts, plan]) => forecasts.startRefreshing(plan))
)
