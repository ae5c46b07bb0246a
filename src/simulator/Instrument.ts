/**
 * Server middleware that keeps the request counters.
 *
 * It wraps the whole handling of a request, response writing included (platform-node writes the
 * body inside the app it hands to middleware), so a request streaming a huge or slow body stays
 * "in flight" until its last byte or until the client leaves.
 */
import * as HttpMiddleware from "@effect/platform/HttpMiddleware"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import { Effect, Exit, Option } from "effect"
import { classify } from "./ApiRoutes.js"
import { CONTROL_PREFIX } from "./ControlRoutes.js"
import type { StatsRecorder } from "./Stats.js"

export const instrument = (stats: StatsRecorder) =>
  HttpMiddleware.make((app) =>
    Effect.flatMap(HttpServerRequest.HttpServerRequest, (request) =>
      request.url.startsWith(CONTROL_PREFIX)
        ? app
        : stats.begin.pipe(
          Effect.zipRight(Effect.suspend(() => {
            const { endpoint, version } = classify(request.url)
            return stats.countRequest(endpoint, version)
          })),
          Effect.zipRight(app),
          Effect.onExit((exit) => stats.end(Exit.isSuccess(exit) ? Option.some(exit.value.status) : Option.none()))
        ))
  )
