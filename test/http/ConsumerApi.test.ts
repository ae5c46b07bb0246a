/**
 * The Electricity-Maps-compatible read API over the whole service built on fakes: the fake API
 * (which counts every upstream request), the in-memory filesystem, and TestClock.
 */
import { Path } from "@effect/platform"
import * as HttpServerRequest from "@effect/platform/HttpServerRequest"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Layer, Option, Random, Redacted, TestClock } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { formatCacheTimestamp } from "../../src/domain/Time.js"
import { Forecasts } from "../../src/forecast/Forecasts.js"
import { ConsumerApi, parseQuery } from "../../src/http/ConsumerApi.js"
import { Poller } from "../../src/poll/Poller.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import * as ElectricityMapsSource from "../../src/providers/electricitymaps/ElectricityMapsSource.js"
import type { FakeApiOptions } from "../support/FakeApi.js"
import { respond } from "../support/FakeApi.js"
import { fixtureJson, forecastBody, hourOf, latestBody } from "../support/fixtures.js"
import { makeHarness } from "../support/harness.js"
import type { Settings } from "../support/settings.js"
import { ukciThroughFakeApi } from "../support/StaticSource.js"

const ZONES = ["DE", "FR", "ukci:13"]
const INTENSITIES = { DE: 428, FR: 50.6, "ukci:13": 118 }
const MINUTE = 60_000
const HOUR = 60 * MINUTE
/** 10:05 UTC: a poll then reads the 10:00 value. */
const T0 = Date.UTC(2024, 2, 6, 10, 5, 0)
const TOKEN = "consumer-token-5b7f0e-keep-it"
const HISTORY_FILE = "/cache/carbon_cache.history.json"

type Service = ReturnType<typeof makeService>

/** `ukci:13` is served by the UK provider, played here by the fake API so its calls count upstream too. */
const app = AppLayer.assemble({
  sources: [AppLayer.sources[0], { provider: "ukci", layer: ukciThroughFakeApi(ElectricityMapsSource.layer) }],
  outputs: AppLayer.outputs
})

const makeService = (options: { readonly api?: FakeApiOptions; readonly settings?: Partial<Settings> } = {}) => {
  const h = makeHarness({
    api: { intensities: INTENSITIES, ...options.api },
    settings: { zones: ZONES, ...options.settings }
  })
  const layer = h.over(ConsumerApi.Default.pipe(Layer.provideMerge(app.ServicesLayer)))
  /** One process's life: a new run is a restart over the same filesystem. */
  const run = <A, E>(effect: Effect.Effect<A, E, Layer.Layer.Success<typeof layer>>) =>
    effect.pipe(Effect.provide(layer), Effect.withRandom(Random.make("consumer")))
  return { ...h, run }
}

const poll = Effect.flatMap(Poller, (poller) => poller.pollOnce(ZONES))

/** A request to the read API, answered by its route's handler as the router would. */
const ask = (path: string, headers: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const consumer = yield* ConsumerApi
    const url = new URL(path, "http://carbon-poller:9477")
    const route = consumer.routes.find((candidate) => candidate.path === url.pathname)
    if (route === undefined) return yield* Effect.die(`test bug: no route ${url.pathname}`)
    const response = yield* route.handler.pipe(
      Effect.provideService(
        HttpServerRequest.HttpServerRequest,
        HttpServerRequest.fromWeb(new Request(url, { headers }))
      )
    )
    const web = HttpServerResponse.toWeb(response)
    const body = yield* Effect.promise(() => web.text())
    const json: unknown = body === "" ? undefined : JSON.parse(body)
    return { status: web.status, headers: Object.fromEntries(web.headers), body, json }
  })

/** What the fake API answered for `zone` at `now`: the body Electricity Maps would have sent. */
const upstreamBody = (zone: string, now: number) =>
  JSON.parse(latestBody(zone, INTENSITIES[zone as keyof typeof INTENSITIES]).replace("__CURRENT_HOUR__", hourOf(now)))

const upstreamCalls = (s: Service) => s.api.requests.length

/** A cache as the cluster mirror records it: written by the leader, with DE's reading of the hour of `now`. */
const mirrored = (now: number) => {
  const cache = {
    timestamp: formatCacheTimestamp(now),
    ttl_minutes: 10,
    regions: { DE: { ...upstreamBody("DE", now), timestamp: formatCacheTimestamp(now) } },
    sorted_by_carbon: ["DE"],
    best_region: "DE",
    worst_region: "DE"
  }
  return { cache, contents: JSON.stringify(cache), writtenAt: now }
}

describe("GET /v4/carbon-intensity/latest", () => {
  it.effect("answers the cached entry as Electricity Maps' body: its fields and types, no timestamp", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const de = yield* ask("/v4/carbon-intensity/latest?zone=DE")
        assert.strictEqual(de.status, 200)
        assert.strictEqual(de.headers["content-type"], "application/json")
        assert.deepStrictEqual(de.json, upstreamBody("DE", T0))
        // Field for field the recorded answer's names and JSON types.
        const recorded = fixtureJson("latest.DE.json")
        const typesOf = (body: unknown) =>
          Object.entries(body as Record<string, unknown>).map(([key, value]) => [key, typeof value])
        assert.deepStrictEqual(typesOf(de.json), typesOf(recorded))
        assert.strictEqual((yield* ask("/v3/carbon-intensity/latest?zone=DE")).body, de.body)
        // A provider-qualified key, URL-encoded or not, is just a key.
        const uk = yield* ask("/v4/carbon-intensity/latest?zone=ukci%3A13")
        assert.strictEqual(uk.status, 200)
        assert.strictEqual((uk.json as { zone: string }).zone, "ukci:13")
        assert.strictEqual((yield* ask("/v4/carbon-intensity/latest?zone=ukci:13")).body, uk.body)
      }))
    }))

  it.effect("writes carbonIntensity as a whole number, as Electricity Maps does; /cache keeps the exact value", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const fr = yield* ask("/v4/carbon-intensity/latest?zone=FR")
        assert.strictEqual((fr.json as { carbonIntensity: number }).carbonIntensity, 51)
        const { lastWrite } = yield* (yield* PollStatus).get
        assert.strictEqual(Option.getOrThrow(lastWrite).cache.regions["FR"]?.carbonIntensity, 50.6)
      }))
    }))

  it.effect("serves a zone configured as em:FR to a client asking for FR, named FR as Electricity Maps names it", () =>
    Effect.gen(function*() {
      const s = makeService({ settings: { zones: ["DE", "em:FR"] } })
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "em:FR"]))
        for (const asked of ["FR", "em:FR"]) {
          const latest = yield* ask(`/v4/carbon-intensity/latest?zone=${asked}`)
          assert.strictEqual(latest.status, 200, asked)
          assert.deepInclude(latest.json as object, { zone: "FR", carbonIntensity: 51 })
          const history = yield* ask(`/v4/carbon-intensity/history?zone=${asked}`)
          assert.strictEqual((history.json as { zone: string }).zone, "FR")
        }
        assert.hasAllKeys((yield* ask("/v4/zones")).json as object, ["DE", "FR"])
      }))
    }))

  it.effect("answers 503 before the first cache is written, but 404 at once for a zone it does not poll", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      const answer = yield* s.run(ask("/v4/carbon-intensity/latest?zone=DE"))
      assert.strictEqual(answer.status, 503)
      assert.deepStrictEqual(Object.keys(answer.json as object), ["error", "message"])
      const notPolled = yield* s.run(ask("/v4/carbon-intensity/history?zone=PL"))
      assert.strictEqual(notPolled.status, 404)
      assert.match((notPolled.json as { message: string }).message, /zone PL is not polled/)
    }))

  it.effect("answers 404 in Electricity Maps' error shape for a zone not polled, and for a zone without a usable value", () =>
    Effect.gen(function*() {
      const s = makeService({
        api: { scripts: { FR: [respond(500, "{}"), respond(500, "{}"), respond(500, "{}"), respond(500, "{}")] } }
      })
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        const polled = yield* Effect.fork(poll)
        yield* TestClock.adjust("1 minute")
        yield* polled.await
        const unknown = yield* ask("/v4/carbon-intensity/latest?zone=IT")
        assert.strictEqual(unknown.status, 404)
        assert.deepStrictEqual(unknown.json, {
          error: "No recent data for zone \"IT\"",
          message: "zone IT is not polled by this carbon-poller; it serves DE, ukci:13"
        })
        assert.strictEqual(unknown.headers["cache-control"], "no-store")
        const failing = yield* ask("/v4/carbon-intensity/latest?zone=FR")
        assert.strictEqual(failing.status, 404)
        assert.match((failing.json as { message: string }).message, /no usable value: ServerError/)
        assert.strictEqual((yield* ask("/v4/carbon-intensity/history?zone=FR")).status, 404)
      }))
    }))

  it.effect("answers 404, never the stale value, once the cache is past its expiry", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        yield* TestClock.adjust(10 * MINUTE - 1)
        assert.strictEqual((yield* ask("/v4/carbon-intensity/latest?zone=DE")).status, 200)
        yield* TestClock.adjust(1)
        for (const route of ["latest", "history"]) {
          const expired = yield* ask(`/v4/carbon-intensity/${route}?zone=DE`)
          assert.strictEqual(expired.status, 404, route)
          assert.deepStrictEqual(expired.json, {
            error: "No recent data for zone \"DE\"",
            message: "the cache expired at 2024-03-06T10:15:00.000Z; no poll has written since"
          })
        }
      }))
    }))

  it.effect("refuses another emission factor than the one polled with 400, and accepts the same one", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const direct = yield* ask("/v4/carbon-intensity/latest?zone=DE&emissionFactorType=direct")
        assert.strictEqual(direct.status, 400)
        assert.match((direct.json as { error: string }).error, /emissionFactorType "direct" is not served.*lifecycle/)
        assert.strictEqual((yield* ask("/v4/carbon-intensity/history?zone=DE&emissionFactorType=direct")).status, 400)
        assert.strictEqual(
          (yield* ask("/v4/carbon-intensity/latest?zone=DE&emissionFactorType=lifecycle")).status,
          200
        )
      }))
    }))

  it.effect("refuses a malformed query with 400 and ignores parameters it does not know", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        for (
          const query of [
            "",
            "?zone=",
            "?lat=48.1&lon=11.6",
            "?zone=DE&zone=FR",
            "?zone=DE%2F..",
            "?zone=DE%20FR",
            "?zone=DE%00",
            `?zone=${"A".repeat(129)}`
          ]
        ) {
          const refused = yield* ask(`/v4/carbon-intensity/latest${query}`)
          assert.strictEqual(refused.status, 400, query)
          assert.isString((refused.json as { error: unknown }).error, query)
        }
        assert.strictEqual(
          (yield* ask("/v4/carbon-intensity/latest?zone=DE&temporalGranularity=hourly&x=1")).status,
          200
        )
      }))
    }))

  it("takes any provider's zone key, provider-qualified or not, and nothing that is not a key", () => {
    for (const zone of ["DE", "US-CAL-CISO", "ukci:13", "watttime:CAISO_NORTH", "em:DE", "IN-WE.1"]) {
      const parsed = parseQuery(`/v4/carbon-intensity/latest?zone=${encodeURIComponent(zone)}`, "lifecycle")
      assert.deepStrictEqual(parsed, { _tag: "Query", query: { zone, measuredOnly: false } }, zone)
    }
    for (const zone of [":DE", "em:DE/latest", "em:DE?x", "<script>", "-DE"]) {
      const parsed = parseQuery(`/v4/carbon-intensity/latest?zone=${encodeURIComponent(zone)}`, "lifecycle")
      assert.strictEqual(parsed._tag, "Refused", zone)
    }
  })

  it.effect("answers 304 to the ETag it gave, with max-age up to the cache's expiry", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        yield* TestClock.adjust(MINUTE)
        const first = yield* ask("/v4/carbon-intensity/latest?zone=DE")
        const etag = first.headers["etag"] ?? ""
        assert.match(etag, /^"[0-9a-f]{32}"$/)
        assert.strictEqual(first.headers["cache-control"], "max-age=540")
        const again = yield* ask("/v4/carbon-intensity/latest?zone=DE", { "if-none-match": etag })
        assert.strictEqual(again.status, 304)
        assert.strictEqual(again.body, "")
        assert.strictEqual(again.headers["etag"], etag)
        const history = yield* ask("/v4/carbon-intensity/history?zone=DE")
        assert.notStrictEqual(history.headers["etag"], etag)
        assert.strictEqual(
          (yield* ask("/v4/carbon-intensity/history?zone=DE", { "if-none-match": history.headers["etag"] ?? "" }))
            .status,
          304
        )
      }))
    }))

  it.effect("answers a measured-only request (disableEstimations=true) with 404 when the value is estimated", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const measured = yield* ask("/v4/carbon-intensity/latest?zone=DE&disableEstimations=true")
        assert.strictEqual(measured.status, 404)
        assert.match((measured.json as { message: string }).message, /estimated/)
        const history = yield* ask("/v4/carbon-intensity/history?zone=DE&disableEstimations=true")
        assert.deepStrictEqual(history.json, { zone: "DE", history: [] })
      }))
    }))
})

describe("CONSUMER_TOKEN", () => {
  const settings = { consumerToken: Option.some(Redacted.make(TOKEN)) }

  it.effect("is required as auth-token: 401 in Electricity Maps' shape without it or with another", () =>
    Effect.gen(function*() {
      const s = makeService({ settings })
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const path = "/v4/carbon-intensity/latest?zone=DE"
        const missing = yield* ask(path)
        assert.strictEqual(missing.status, 401)
        assert.deepStrictEqual(
          Object.keys(missing.json as object),
          Object.keys(fixtureJson("error.missing-header.json"))
        )
        assert.strictEqual((missing.json as { error: string }).error, "Invalid auth-token")
        for (const wrong of [`${TOKEN}x`, TOKEN.slice(0, -1), "", "x"]) {
          const refused = yield* ask(path, { "auth-token": wrong })
          assert.strictEqual(refused.status, 401, wrong)
          assert.notInclude(refused.body, TOKEN)
        }
        // Checked before anything else: no zone, factor or cache state shows through.
        assert.strictEqual((yield* ask("/v4/carbon-intensity/latest?zone=DE&zone=FR")).status, 401)
        assert.strictEqual((yield* ask("/v4/zones")).status, 401)
        assert.strictEqual((yield* ask(path, { "auth-token": TOKEN })).status, 200)
        for (const line of s.logLines) assert.notInclude(line, TOKEN)
      }))
    }))

  it.effect("is not asked for when unset", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        assert.strictEqual(
          (yield* ask("/v4/carbon-intensity/latest?zone=DE", { "auth-token": "anything" })).status,
          200
        )
      }))
    }))
})

describe("GET /v4/carbon-intensity/history", () => {
  it.effect("lists the readings polled in the last 24 hours, oldest first, one per datetime, the latest revision", () =>
    Effect.gen(function*() {
      const s = makeService({
        api: { scripts: { DE: [respond(200, latestBody("DE", 400)), respond(200, latestBody("DE", 380))] } }
      })
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll // 10:05: DE 10:00 = 400
        yield* TestClock.adjust(15 * MINUTE)
        yield* poll // 10:20: DE 10:00 revised to 380
        yield* TestClock.adjust(HOUR)
        yield* poll // 11:20: DE 11:00 = 428
        const history = yield* ask("/v4/carbon-intensity/history?zone=DE")
        assert.strictEqual(history.status, 200)
        const body = history.json as { zone: string; history: ReadonlyArray<Record<string, unknown>> }
        assert.deepStrictEqual(Object.keys(body), ["zone", "history"])
        assert.strictEqual(body.zone, "DE")
        assert.deepStrictEqual(
          body.history.map((point) => [point["datetime"], point["carbonIntensity"]]),
          [["2024-03-06T10:00:00.000Z", 380], ["2024-03-06T11:00:00.000Z", 428]]
        )
        // Each point is a latest body: the recorded history's fields and no cache timestamp.
        assert.deepStrictEqual(body.history[1], upstreamBody("DE", T0 + HOUR))
        const recorded = fixtureJson("history.DE.json")["history"] as ReadonlyArray<Record<string, unknown>>
        assert.deepStrictEqual(Object.keys(body.history[0] ?? {}), Object.keys(recorded[0] ?? {}))
      }))
    }))

  it.effect("survives a restart: the next process serves what the last one polled", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(poll)
      assert.isDefined(s.memory.read(HISTORY_FILE))
      yield* TestClock.adjust(HOUR)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const history = yield* ask("/v4/carbon-intensity/history?zone=FR")
        const body = history.json as { history: ReadonlyArray<{ datetime: string }> }
        assert.deepStrictEqual(body.history.map((point) => point.datetime), [
          "2024-03-06T10:00:00.000Z",
          "2024-03-06T11:00:00.000Z"
        ])
      }))
    }))

  it.effect("lets a point go once its datetime is 24 hours old, even without a new write", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(Date.UTC(2024, 2, 6, 0, 55))
      yield* s.run(Effect.gen(function*() {
        yield* poll // 00:55: the 00:00 reading
        yield* TestClock.setTime(Date.UTC(2024, 2, 6, 23, 55))
        yield* poll // 23:55: the 23:00 reading; the cache is valid until 00:05
        const datetimes = Effect.map(
          ask("/v4/carbon-intensity/history?zone=DE"),
          (answer) => (answer.json as { history: ReadonlyArray<{ datetime: string }> }).history.map((p) => p.datetime)
        )
        assert.deepStrictEqual(yield* datetimes, ["2024-03-06T00:00:00.000Z", "2024-03-06T23:00:00.000Z"])
        yield* TestClock.setTime(Date.UTC(2024, 2, 7, 0, 0))
        assert.deepStrictEqual(yield* datetimes, ["2024-03-06T23:00:00.000Z"])
      }))
    }))

  it.effect("records every cache recorded as written, so a follower's history comes from the caches it mirrors", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        // A follower never polls: the mirror records the leader's cache through PollStatus.
        yield* (yield* PollStatus).written(mirrored(yield* Clock.currentTimeMillis))
        const history = yield* ask("/v4/carbon-intensity/history?zone=DE")
        assert.strictEqual((history.json as { history: ReadonlyArray<unknown> }).history.length, 1)
        assert.strictEqual(upstreamCalls(s), 0)
      }))
      assert.include(s.memory.read(HISTORY_FILE) ?? "", "\"DE\"")
    }))

  it.effect("records a cache mirrored before the read API was built (cluster mode starts mirroring first)", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* Effect.gen(function*() {
        const status = yield* PollStatus
        yield* status.written(mirrored(T0))
        const consumer = yield* Layer.build(ConsumerApi.Default)
        yield* TestClock.adjust(HOUR)
        yield* status.written(mirrored(T0 + HOUR))
        const history = yield* ask("/v4/carbon-intensity/history?zone=DE").pipe(Effect.provide(consumer))
        assert.deepStrictEqual(
          (history.json as { history: ReadonlyArray<{ datetime: string }> }).history.map((point) => point.datetime),
          ["2024-03-06T10:00:00.000Z", "2024-03-06T11:00:00.000Z"]
        )
      }).pipe(
        Effect.scoped,
        Effect.provide(Layer.merge(s.over(app.ServicesLayer), Layer.merge(s.memory.layer, Path.layer))),
        Effect.withRandom(Random.make("consumer"))
      )
    }))
})

describe("a cache the read API cannot render", () => {
  it.effect("is answered 500 in Electricity Maps' shape, named in the log, and the next cache is served", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        const status = yield* PollStatus
        const good = mirrored(T0)
        // A cache whose fields cannot even be read: rendering it throws.
        const unreadable = new Proxy(good.cache, {
          get: () => {
            throw new Error("unreadable cache")
          }
        })
        yield* status.written({ cache: unreadable, contents: "{}", writtenAt: T0 })
        const refused = yield* ask("/v4/carbon-intensity/latest?zone=DE")
        assert.strictEqual(refused.status, 500)
        assert.deepStrictEqual(Object.keys(refused.json as object), ["error", "message"])
        assert.notInclude(refused.body, "unreadable cache")
        // The follower goes on: both later caches are in the history, not only the one asked about.
        yield* TestClock.adjust(HOUR)
        yield* status.written(mirrored(T0 + HOUR))
        yield* TestClock.adjust(HOUR)
        yield* status.written(mirrored(T0 + 2 * HOUR))
        const served = yield* ask("/v4/carbon-intensity/history?zone=DE")
        assert.strictEqual(served.status, 200)
        assert.strictEqual((served.json as { history: ReadonlyArray<unknown> }).history.length, 2)
      }))
      assert.isTrue(s.logLines.some((line) => line.includes("unreadable cache")))
    }))
})

describe("GET /v4/carbon-intensity/forecast", () => {
  const START = "2024-03-06T10:00:00.000Z"
  const VALUES = [300, 280.4, 260, 250, 240, 230]

  it.effect("answers the cached forecast in Electricity Maps' shape, from the current point on", () =>
    Effect.gen(function*() {
      const s = makeService({
        api: { forecasts: { DE: forecastBody("DE", START, VALUES) } },
        settings: { forecastWindowsMinutes: [60] }
      })
      yield* TestClock.setTime(Date.UTC(2024, 2, 6, 11, 5))
      yield* s.run(Effect.gen(function*() {
        yield* (yield* Forecasts).refresh
        yield* poll
        const forecast = yield* ask("/v4/carbon-intensity/forecast?zone=DE")
        assert.strictEqual(forecast.status, 200)
        const recorded = JSON.parse(forecastBody("DE", START, VALUES)) as { updatedAt: string }
        assert.deepStrictEqual(forecast.json, {
          zone: "DE",
          forecast: [
            { carbonIntensity: 280, datetime: "2024-03-06T11:00:00.000Z" },
            { carbonIntensity: 260, datetime: "2024-03-06T12:00:00.000Z" },
            { carbonIntensity: 250, datetime: "2024-03-06T13:00:00.000Z" },
            { carbonIntensity: 240, datetime: "2024-03-06T14:00:00.000Z" },
            { carbonIntensity: 230, datetime: "2024-03-06T15:00:00.000Z" }
          ],
          updatedAt: recorded.updatedAt,
          temporalGranularity: "hourly"
        })
        // v4 adds temporalGranularity after updatedAt; v3 keeps the legacy shape, as recorded.
        assert.deepStrictEqual(Object.keys(forecast.json as object), [
          ...Object.keys(fixtureJson("forecast.docs-example.json")),
          "temporalGranularity"
        ])
        const legacy = yield* ask("/v3/carbon-intensity/forecast?zone=DE")
        assert.deepStrictEqual(
          Object.keys(legacy.json as object),
          Object.keys(fixtureJson("forecast.docs-example.json"))
        )
        const noForecast = yield* ask("/v4/carbon-intensity/forecast?zone=FR")
        assert.strictEqual(noForecast.status, 404)
        assert.isString((noForecast.json as { message: unknown }).message)
        const zones = yield* ask("/v4/zones")
        assert.deepStrictEqual(zones.json, {
          DE: { access: ["carbon-intensity/latest", "carbon-intensity/history", "carbon-intensity/forecast"] },
          FR: { access: ["carbon-intensity/latest", "carbon-intensity/history"] },
          "ukci:13": { access: ["carbon-intensity/latest", "carbon-intensity/history"] }
        })
      }))
    }))

  it.effect("answers 404 saying how to switch forecasts on when FORECAST_WINDOWS_MINUTES is unset", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const off = yield* ask("/v4/carbon-intensity/forecast?zone=DE")
        assert.strictEqual(off.status, 404)
        assert.match((off.json as { message: string }).message, /FORECAST_WINDOWS_MINUTES/)
      }))
    }))
})

describe("answered from memory only", () => {
  it.effect("renders the bodies once per cache written, not per request", () =>
    Effect.gen(function*() {
      const s = makeService()
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* poll
        const consumer = yield* ConsumerApi
        const first = Option.getOrThrow(yield* consumer.current)
        yield* ask("/v4/carbon-intensity/history?zone=DE")
        const second = Option.getOrThrow(yield* consumer.current)
        assert.strictEqual(second, first)
        const answers = first.zones.get("DE")!
        assert.strictEqual(answers.history(), answers.history())
        yield* poll
        assert.notStrictEqual(Option.getOrThrow(yield* consumer.current), first)
      }))
    }))

  it.effect("no consumer request, answered or refused, causes a request upstream", () =>
    Effect.gen(function*() {
      const s = makeService({
        api: { forecasts: { DE: forecastBody("DE", "2024-03-06T10:00:00.000Z", [300, 280, 260]) } },
        settings: { forecastWindowsMinutes: [60], consumerToken: Option.some(Redacted.make(TOKEN)) }
      })
      yield* TestClock.setTime(T0)
      yield* s.run(Effect.gen(function*() {
        yield* (yield* Forecasts).refresh
        yield* poll
        const before = upstreamCalls(s)
        assert.isAbove(before, 0)
        const auth = { "auth-token": TOKEN }
        for (const zone of ["DE", "FR", "ukci:13", "IT", "US-CAL-CISO"]) {
          for (const route of ["latest", "history", "forecast"]) {
            for (const version of ["v4", "v3"]) {
              yield* ask(`/${version}/carbon-intensity/${route}?zone=${encodeURIComponent(zone)}`, auth)
              yield* ask(`/${version}/carbon-intensity/${route}?zone=${encodeURIComponent(zone)}`)
            }
          }
        }
        yield* ask("/v4/zones", auth)
        yield* TestClock.adjust(HOUR)
        yield* ask("/v4/carbon-intensity/latest?zone=DE", auth)
        assert.strictEqual(upstreamCalls(s), before)
      }))
    }))
})
