/**
 * The read API's service over fakes, for tests that build the endpoints without the whole service:
 * an in-memory filesystem for its history file and forecasts that hold what the test says.
 */
import { Path } from "@effect/platform"
import { Effect, Layer } from "effect"
import { Forecasts } from "../../src/forecast/Forecasts.js"
import type { ForecastSnapshot } from "../../src/forecast/ForecastState.js"
import { ConsumerApi } from "../../src/http/ConsumerApi.js"
import { makeMemoryFileSystem } from "./MemoryFileSystem.js"

export const NO_FORECASTS: ForecastSnapshot = { active: false, zones: [], notAsked: [], byZone: new Map() }

/** Forecasts that never fetch and always hold `snapshot`. */
export const fixedForecasts = (snapshot: ForecastSnapshot = NO_FORECASTS) =>
  Layer.succeed(
    Forecasts,
    Forecasts.make({
      usePlan: () => Effect.void,
      refresh: Effect.void,
      startRefreshing: () => Effect.void,
      addToCache: Effect.succeed,
      snapshot: Effect.succeed(snapshot)
    })
  )

/** What `ConsumerApi` needs beside the configuration and `PollStatus`: a fresh in-memory filesystem per build. */
export const consumerPlatform = (snapshot: ForecastSnapshot = NO_FORECASTS) =>
  Layer.mergeAll(Layer.suspend(() => makeMemoryFileSystem().layer), Path.layer, fixedForecasts(snapshot))

/** `ConsumerApi` with its history in memory; still needs the configuration and `PollStatus`. */
export const consumerApiLayer = (snapshot: ForecastSnapshot = NO_FORECASTS) =>
  ConsumerApi.Default.pipe(Layer.provide(consumerPlatform(snapshot)))
