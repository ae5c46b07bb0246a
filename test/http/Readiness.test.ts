/**
 * `/readyz` always answers with a body that says why: a cache whose validity is no time at all (a
 * hand-edited TTL of 1e400 or 1e9 days) is not ready, never a 500 with an empty body.
 */
import * as FetchHttpClient from "@effect/platform/FetchHttpClient"
import * as HttpClient from "@effect/platform/HttpClient"
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option } from "effect"
import type { CacheFile } from "../../src/domain/CacheFile.js"
import { readiness } from "../../src/http/Health.js"
import { PrometheusMetrics } from "../../src/observability/PrometheusExposition.js"
import { PollStatus, type WrittenCache } from "../../src/poll/PollStatus.js"
import { consumerPlatform } from "../support/consumer.js"
import { loopbackEndpoints } from "../support/loopbackEndpoints.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

const T0 = Date.UTC(2026, 10, 27, 12, 0, 0)

const written = (ttlMinutes: number): WrittenCache => ({
  cache: {
    timestamp: "2026-11-27T12:00:00",
    ttl_minutes: ttlMinutes,
    regions: {},
    sorted_by_carbon: [],
    best_region: "FR",
    worst_region: "FR"
  },
  contents: "{}",
  writtenAt: T0
})

describe("readiness of a cache whose validity is no time", () => {
  for (const ttl of [Number.POSITIVE_INFINITY, 1e300, 1e12, Number.NaN]) {
    it(`is not ready with ttl_minutes ${ttl}, and says why`, () => {
      const check = readiness(
        {
          startedAt: T0,
          lastPollStartedAt: Option.none(),
          lastWrite: Option.some(written(ttl)),
          lastWriteError: Option.none()
        },
        T0
      )
      assert.isFalse(check.ready)
      assert.match(check.reason, /validity .* is not a time/)
    })
  }
})

describe("/readyz over loopback", () => {
  const layers = Layer.mergeAll(PrometheusMetrics.Default, FetchHttpClient.layer, staticSource({}), consumerPlatform())
    .pipe(
      Layer.provideMerge(PollStatus.Default),
      Layer.provideMerge(TestSettings.layer({ httpHost: "127.0.0.1", httpPort: 1 }))
    )
  const serve = Effect.gen(function*() {
    const port = yield* loopbackEndpoints
    const client = yield* HttpClient.HttpClient
    return (path: string) =>
      Effect.flatMap(
        client.get(`http://127.0.0.1:${port}${path}`),
        (response) => Effect.map(response.text, (body) => ({ status: response.status, body }))
      )
  })

  it.scopedLive("answers 503 with a reason for a TTL of 1e400, never 500 with an empty body", () =>
    Effect.gen(function*() {
      const get = yield* serve
      yield* (yield* PollStatus).written(written(Number.POSITIVE_INFINITY))
      const answer = yield* get("/readyz")
      assert.strictEqual(answer.status, 503)
      assert.match(JSON.parse(answer.body).reason, /is not a time/)
      const cache = yield* get("/cache")
      assert.strictEqual(cache.status, 200)
    }).pipe(Effect.provide(layers)))

  it.scopedLive("answers 503 with a body even when judging readiness fails outright", () =>
    Effect.gen(function*() {
      const get = yield* serve
      // A cache whose fields cannot even be read: judging it throws.
      const unreadable = new Proxy<CacheFile>(written(10).cache, {
        get: () => {
          throw new Error("unreadable cache")
        }
      })
      yield* (yield* PollStatus).written({ cache: unreadable, contents: "{}", writtenAt: T0 })
      const answer = yield* get("/readyz")
      assert.strictEqual(answer.status, 503)
      assert.deepStrictEqual(JSON.parse(answer.body), { ready: false, reason: "cannot judge readiness; see the log" })
    }).pipe(Effect.provide(layers)))
})
