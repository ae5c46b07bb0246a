/**
 * The Electricity Maps API simulator: a real HTTP server on 127.0.0.1 serving the endpoints the
 * poller uses, with deterministic values, injectable faults and request counters.
 *
 * Effect code: `Simulator.start(options)` inside a scope. Plain scripts: `startSimulator(options)`.
 */
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServer from "@effect/platform/HttpServer"
import { Cause, Context, Effect, Exit, Layer, Schema, Scope } from "effect"
import * as Http from "node:http"
import { makeApiRouter } from "./ApiRoutes.js"
import * as Bodies from "./Bodies.js"
import { makeControlRouter } from "./ControlRoutes.js"
import { FaultRule, type FaultRuleInput } from "./Fault.js"
import * as FaultBook from "./FaultBook.js"
import { json, jsonReply } from "./FaultResponses.js"
import { instrument } from "./Instrument.js"
import { invalid, resolveOptions, SimulatorError, type SimulatorOptions } from "./Options.js"
import * as Stats from "./Stats.js"
import { makeUkciRouter, UKCI_PREFIX } from "./ukci/Routes.js"
import { makeWattTimeRouter } from "./watttime/Routes.js"
import { loadCatalogue } from "./Zones.js"

export type { Fault, FaultKind, FaultRule, FaultRuleInput, Route, Trigger } from "./Fault.js"
export type { ArmedFault } from "./FaultBook.js"
export type { ForecastGranularity } from "./Forecast.js"
export { SimulatorError, type SimulatorOptions } from "./Options.js"
export type { SimulatorStats } from "./Stats.js"

export const HOST = "127.0.0.1"

export interface SimulatorHandle {
  /** `http://127.0.0.1:PORT/v4`: what `ELECTRICITY_MAPS_API_URL` should be set to (v4 is the API's default). */
  readonly baseUrl: string
  /** `http://127.0.0.1:PORT/v3`: the legacy prefix, serving the same routes. */
  readonly baseUrlV3: string
  /** `http://127.0.0.1:PORT/ukci`: what `UKCI_API_URL` should be set to (the UK Carbon Intensity routes). */
  readonly ukciBaseUrl: string
  /** `http://127.0.0.1:PORT`: where `/__simulator/*` lives. */
  readonly origin: string
  /** `http://127.0.0.1:PORT`: what `WATTTIME_API_URL` should be set to (`/login`, `/v3/...`). */
  readonly wattTimeUrl: string
  readonly port: number
  readonly seed: string
  readonly stats: () => Effect.Effect<Stats.SimulatorStats>
  readonly resetStats: () => Effect.Effect<void>
  /** Waits (without polling) for counters that satisfy `predicate`, e.g. `s => s.inFlight >= 3`. */
  readonly awaitStats: (predicate: (stats: Stats.SimulatorStats) => boolean) => Effect.Effect<Stats.SimulatorStats>
  /** Arms a fault; returns its id. */
  readonly addFault: (rule: FaultRuleInput) => Effect.Effect<number, SimulatorError>
  readonly addFaults: (rules: ReadonlyArray<FaultRuleInput>) => Effect.Effect<ReadonlyArray<number>, SimulatorError>
  /** Replaces every armed fault. */
  readonly setFaults: (rules: ReadonlyArray<FaultRuleInput>) => Effect.Effect<ReadonlyArray<number>, SimulatorError>
  readonly removeFault: (id: number) => Effect.Effect<boolean>
  readonly clearFaults: () => Effect.Effect<void>
  readonly faults: () => Effect.Effect<ReadonlyArray<FaultBook.ArmedFault>>
}

const decodeRules = Schema.decodeUnknown(Schema.Array(FaultRule), { errors: "all" })

/**
 * `server.close()` waits for every open connection, and a hanging or endless answer never ends its
 * own: cut them all so closing the scope always completes. Cutting a connection also interrupts
 * its handler fiber (platform-node watches the response's `close`).
 */
const closeNow = (server: Http.Server): Effect.Effect<void> =>
  Effect.async<void>((resume) => {
    if (server.listening) server.close(() => resume(Effect.void))
    else resume(Effect.void)
    server.closeAllConnections()
  })

/** Starts a simulator that lives as long as the enclosing scope. */
export const start = (
  options: SimulatorOptions = {}
): Effect.Effect<SimulatorHandle, SimulatorError, Scope.Scope> =>
  Effect.gen(function*() {
    const catalogue = yield* loadCatalogue
    const resolved = yield* resolveOptions(options, catalogue)
    const seed = String(resolved.seed)
    const stats = yield* Stats.make
    const faults = yield* FaultBook.make(seed, { latencyMs: resolved.latencyMs, jitterMs: resolved.jitterMs })
    yield* faults.add(resolved.faults)

    const nodeServer = Http.createServer()
    const context = yield* Layer.build(NodeHttpServer.layer(() => nodeServer, { port: resolved.port, host: HOST }))
      .pipe(
        Effect.mapError((error) =>
          new SimulatorError({
            reason: "ListenFailed",
            message: `cannot listen on ${HOST}:${resolved.port}: ${String(error.cause)}`,
            cause: error
          })
        )
      )
    yield* Effect.addFinalizer(() => closeNow(nodeServer))
    const server = Context.get(context, HttpServer.HttpServer)

    const wattTime = yield* makeWattTimeRouter({ seed, ...resolved.wattTime, stats, faults })
    const app = HttpRouter.concatAll(
      makeApiRouter({
        seed,
        apiKey: resolved.apiKey,
        plan: resolved.plan === undefined ? undefined : new Set(resolved.plan),
        access: { forecasts: resolved.forecastAccess, prefix: resolved.accessPrefix },
        forecastGranularity: resolved.forecastGranularity,
        catalogue,
        stats,
        faults
      }),
      wattTime,
      makeUkciRouter({ seed, stats, faults }),
      makeControlRouter({ stats, faults })
    ).pipe(
      Effect.catchTag("RouteNotFound", () => Effect.succeed(json(jsonReply(404, Bodies.notFound))))
    )
    yield* server.serve(app, instrument(stats))

    const port = server.address._tag === "TcpAddress" ? server.address.port : resolved.port
    const origin = `http://${HOST}:${port}`
    const arm = (rules: ReadonlyArray<FaultRuleInput>) =>
      decodeRules(rules).pipe(Effect.mapError(invalid("InvalidFault")))
    return {
      baseUrl: `${origin}/v4`,
      baseUrlV3: `${origin}/v3`,
      ukciBaseUrl: `${origin}${UKCI_PREFIX}`,
      origin,
      wattTimeUrl: origin,
      port,
      seed,
      stats: () => stats.get,
      resetStats: () => stats.reset,
      awaitStats: stats.awaitStats,
      addFault: (rule) => arm([rule]).pipe(Effect.flatMap(faults.add), Effect.map((ids) => ids[0] ?? 0)),
      addFaults: (rules) => arm(rules).pipe(Effect.flatMap(faults.add)),
      setFaults: (rules) => arm(rules).pipe(Effect.flatMap(faults.replace)),
      removeFault: faults.remove,
      clearFaults: () => faults.clear,
      faults: () => faults.list
    } satisfies SimulatorHandle
  })

/** A simulator started from plain (non-Effect) code. */
export interface RunningSimulator {
  readonly baseUrl: string
  readonly baseUrlV3: string
  readonly ukciBaseUrl: string
  readonly origin: string
  readonly wattTimeUrl: string
  readonly port: number
  /** The Effect handle, for callers that mix both styles. */
  readonly handle: SimulatorHandle
  readonly stats: () => Promise<Stats.SimulatorStats>
  readonly resetStats: () => Promise<void>
  readonly addFault: (rule: FaultRuleInput) => Promise<number>
  readonly setFaults: (rules: ReadonlyArray<FaultRuleInput>) => Promise<ReadonlyArray<number>>
  readonly clearFaults: () => Promise<void>
  /** Stops the server, cutting open connections. Safe to call more than once. */
  readonly close: () => Promise<void>
}

/** Rejects with the typed error itself rather than Effect's FiberFailure wrapper. */
const runPromise = <A, E>(effect: Effect.Effect<A, E>): Promise<A> =>
  Effect.runPromiseExit(effect).then((exit) =>
    Exit.isSuccess(exit) ? exit.value : Promise.reject(Cause.squash(exit.cause))
  )

/** Starts a simulator for scripts that do not run Effect; rejects with a `SimulatorError`. */
export const startSimulator = async (options: SimulatorOptions = {}): Promise<RunningSimulator> => {
  const scope = Effect.runSync(Scope.make())
  const started = await Effect.runPromiseExit(Scope.extend(start(options), scope))
  if (Exit.isFailure(started)) {
    await Effect.runPromise(Scope.close(scope, started))
    throw Cause.squash(started.cause)
  }
  const handle = started.value
  let closing: Promise<void> | undefined
  return {
    baseUrl: handle.baseUrl,
    baseUrlV3: handle.baseUrlV3,
    ukciBaseUrl: handle.ukciBaseUrl,
    origin: handle.origin,
    wattTimeUrl: handle.wattTimeUrl,
    port: handle.port,
    handle,
    stats: () => runPromise(handle.stats()),
    resetStats: () => runPromise(handle.resetStats()),
    addFault: (rule) => runPromise(handle.addFault(rule)),
    setFaults: (rules) => runPromise(handle.setFaults(rules)),
    clearFaults: () => runPromise(handle.clearFaults()),
    close: () => (closing ??= Effect.runPromise(Scope.close(scope, Exit.void)))
  }
}
