/**
 * How an armed fault meets a request, whichever provider's route it is: the decision, the
 * counters, the delay, then the normal answer (possibly trickled or compressed) or the routes'
 * own answer to the fault: each provider's routes say which faults reshape their bodies and how
 * the others look on their wire.
 */
import type * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Clock, Effect, Option } from "effect"
import type { Fault } from "./Fault.js"
import type { FaultBook, FaultTarget } from "./FaultBook.js"
import { gzipped, json, type Reply, trickle } from "./FaultResponses.js"
import type { StatsRecorder } from "./Stats.js"

export interface FaultFlowDeps {
  readonly faults: FaultBook
  readonly stats: StatsRecorder
}

/** The fault that decides a request's answer: the ones that only delay it are already served. */
export type DecidedFault = Exclude<Fault, { readonly kind: "latency" }>

/**
 * Decides the request's fault and answers with `normal`, trickled or compressed, or with
 * `answer(fault)`: the routes' own handling of every other fault (reshaping their body, or
 * replacing it). `nowMs` dates an HTTP-date header.
 */
export const withFaults = <R>(
  deps: FaultFlowDeps,
  target: FaultTarget,
  normal: Effect.Effect<Reply>,
  answer: (
    fault: Exclude<DecidedFault, { readonly kind: "slow" | "gzip" }>,
    nowMs: number
  ) => Effect.Effect<HttpServerResponse.HttpServerResponse, never, R>
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.gen(function*() {
    const decision = yield* deps.faults.decide(target)
    yield* Effect.forEach(decision.fired, deps.stats.countFault, { discard: true })
    if (decision.delayMs > 0) yield* Effect.sleep(decision.delayMs)
    if (Option.isNone(decision.fault)) return json(yield* normal)
    const fault = decision.fault.value
    if (fault.kind === "slow") return trickle(yield* normal, fault.chunkBytes, fault.intervalMs)
    if (fault.kind === "gzip") return gzipped(yield* normal)
    return yield* answer(fault, yield* Clock.currentTimeMillis)
  })
