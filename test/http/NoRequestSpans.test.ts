/**
 * The endpoints build no span per request: nothing exports traces, and Effect's server span (the
 * URL parsed, every header redacted and copied into attributes) cost more than answering a
 * read-API request (the bench measured about 1,130 requests/s with it, 1,450 without).
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Tracer } from "effect"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { consumerPlatform } from "../support/consumer.js"
import { loopbackEndpoints } from "../support/loopbackEndpoints.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

describe("the endpoints' requests", () => {
  it.scopedLive("start no span, whatever the route", () => {
    const started: Array<string> = []
    // Effect's own tracer, recording the name of every span started.
    const native = Effect.runSync(Effect.tracer)
    const recording = Tracer.make({
      span: (name, parent, context, links, startTime, kind, options) => {
        started.push(name)
        return native.span(name, parent, context, links, startTime, kind, options)
      },
      context: native.context
    })
    return Effect.gen(function*() {
      const port = yield* loopbackEndpoints
      const client = yield* HttpClient.HttpClient
      for (const path of ["/healthz", "/cache", "/v4/carbon-intensity/latest?zone=DE", "/nowhere"]) {
        const response = yield* client.get(`http://127.0.0.1:${port}${path}`)
        yield* response.text
      }
      assert.deepStrictEqual(started.filter((name) => name.startsWith("http.server")), [])
      assert.isAbove(started.length, 0, "the recording tracer was in use")
    }).pipe(
      Effect.provide(
        Layer.mergeAll(PrometheusMetrics.Default, FetchHttpClient.layer, staticSource({}), consumerPlatform()).pipe(
          Layer.provideMerge(PollStatus.Default),
          Layer.provideMerge(TestSettings.layer({ httpHost: "127.0.0.1", httpPort: 1 })),
          Layer.provideMerge(Layer.setTracer(recording))
        )
      )
    )
  })
})
