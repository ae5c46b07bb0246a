/**
 * `/__simulator/*`: counters and fault control over HTTP, so a test runner, a benchmark or a shell
 * in another process can steer a running simulator. No token needed; the server only listens on
 * loopback.
 */
import * as HttpRouter from "@effect/platform/HttpRouter"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Effect, Schema } from "effect"
import { FaultRule } from "./Fault.js"
import type { FaultBook } from "./FaultBook.js"
import { formatParseError } from "./Options.js"
import type { StatsRecorder } from "./Stats.js"

export const CONTROL_PREFIX = "/__simulator"

export interface ControlDeps {
  readonly stats: StatsRecorder
  readonly faults: FaultBook
}

const FaultId = Schema.Struct({ id: Schema.NumberFromString.pipe(Schema.int()) })

/** A control request the simulator cannot use is the caller's mistake: say what was wrong. */
const badRequest = (message: string) => HttpServerResponse.unsafeJson({ error: message }, { status: 400 })

/** One rule or a list; decoded by shape so a mistake is reported against what was sent. */
const readRules = Effect.gen(function*() {
  const request = yield* HttpServerRequest.HttpServerRequest
  const body = yield* Effect.mapError(request.json, () => badRequest("the body is not JSON"))
  return yield* (Array.isArray(body)
    ? Schema.decodeUnknown(Schema.Array(FaultRule), { errors: "all" })(body)
    : Effect.map(Schema.decodeUnknown(FaultRule, { errors: "all" })(body), (rule) => [rule])).pipe(
      Effect.mapError((error) => badRequest(formatParseError(error)))
    )
})

const armedList = (deps: ControlDeps) =>
  Effect.map(deps.faults.list, (faults) => HttpServerResponse.unsafeJson({ faults }))

export const makeControlRouter = (deps: ControlDeps) =>
  HttpRouter.empty.pipe(
    HttpRouter.get("/health", Effect.succeed(HttpServerResponse.unsafeJson({ status: "ok" }))),
    HttpRouter.get("/stats", Effect.map(deps.stats.get, (stats) => HttpServerResponse.unsafeJson(stats))),
    HttpRouter.del(
      "/stats",
      Effect.zipRight(deps.stats.reset, Effect.map(deps.stats.get, (stats) => HttpServerResponse.unsafeJson(stats)))
    ),
    HttpRouter.get("/faults", armedList(deps)),
    HttpRouter.post(
      "/faults",
      readRules.pipe(
        Effect.flatMap(deps.faults.add),
        Effect.flatMap((ids) =>
          Effect.map(
            deps.faults.list,
            (faults) => HttpServerResponse.unsafeJson({ added: ids, faults }, { status: 201 })
          )
        ),
        Effect.merge
      )
    ),
    HttpRouter.put(
      "/faults",
      readRules.pipe(Effect.flatMap(deps.faults.replace), Effect.zipRight(armedList(deps)), Effect.merge)
    ),
    HttpRouter.del("/faults", Effect.zipRight(deps.faults.clear, armedList(deps))),
    HttpRouter.del(
      "/faults/:id",
      HttpRouter.schemaPathParams(FaultId).pipe(
        Effect.mapError(() => badRequest("the fault id must be an integer")),
        Effect.flatMap(({ id }) => deps.faults.remove(id)),
        Effect.flatMap((removed) =>
          removed
            ? armedList(deps)
            : Effect.succeed(HttpServerResponse.unsafeJson({ error: "no such fault" }, { status: 404 }))
        ),
        Effect.merge
      )
    ),
    HttpRouter.prefixAll(CONTROL_PREFIX)
  )
