/**
 * The KEDA forecast ConfigMap's publisher, over the in-memory Kubernetes client and the real
 * forecast refresher (fed by the fake API), on the TestClock. What the ConfigMap holds is read back
 * with the operator's own decoder (./operator.ts), not with ours.
 */
import { assert, describe, it } from "@effect/vitest"
import type { V1ConfigMap } from "@kubernetes/client-node"
import { Effect, Either, Option, Ref, type Scope, Stream, TestClock } from "effect"
import { type KubeClient, KubeError } from "../../../src/cluster/KubeClient.js"
import type { KedaTarget } from "../../../src/config/KedaConfig.js"
import { renderCache } from "../../../src/domain/CacheFile.js"
import { Forecasts } from "../../../src/forecast/Forecasts.js"
import { RECORDS_KEY } from "../../../src/outputs/keda/ExporterFormat.js"
import { makeKedaPublisher } from "../../../src/outputs/keda/KedaOutput.js"
import { Poller } from "../../../src/poll/Poller.js"
import { Leadership } from "../../../src/ports/Leadership.js"
import { at, HOUR, MINUTE } from "../../forecast/support.js"
import { type Answer, respond } from "../../support/FakeApi.js"
import { forecastBody } from "../../support/fixtures.js"
import { makeHarness } from "../../support/harness.js"
import { memoryKubeClient } from "../../support/kube/MemoryKubeClient.js"
import { type CarbonForecast, findCarbonForecast, highForTheLast, unmarshalCarbonForecasts } from "./operator.js"

const START = "2024-03-06T10:00:00Z"
const TARGET: KedaTarget = {
  configMap: { namespace: "carbon-aware", name: "carbon-intensity" },
  zone: "DE",
  kubeconfigPath: Option.none()
}
const WHERE = "carbon-aware/carbon-intensity"
const VALUES = [400, 380, 300, 120, 100, 250, ...Array.from({ length: 18 }, () => 350)]
const serverError: Answer = respond(500, JSON.stringify({ error: "Internal Server Error" }))

/** A refresh that fails: every attempt (the first and its three retries) answers 500. */
const failingRefresh: ReadonlyArray<Answer> = Array.from({ length: 4 }, () => serverError)

type Needs = Scope.Scope | KubeClient | Forecasts | Leadership | Poller

/** `forecastScripts`: the forecast answers in order, one per request, before the healthy `values`. */
const setup = (
  forecastScripts: ReadonlyArray<Answer> = [],
  values: ReadonlyArray<number> = VALUES,
  kube = memoryKubeClient()
) => {
  const h = makeHarness({
    api: {
      intensities: { DE: 380 },
      forecasts: { DE: forecastBody("DE", START, values) },
      forecastScripts: { DE: forecastScripts }
    },
    settings: { zones: ["DE"], forecastWindowsMinutes: [60] },
    kube: kube.layer
  })
  const configMap = () => kube.controls.configMaps.get(WHERE)
  /** What the operator reads from the ConfigMap: its records, decoded as Go decodes them. */
  const operatorView = (): ReadonlyArray<CarbonForecast> =>
    unmarshalCarbonForecasts(Buffer.from(configMap()?.binaryData?.[RECORDS_KEY] ?? "null", "base64"))
  /** Runs a test with the refresher, a publisher and the in-memory client, from 10:00:30. */
  const run = <A, E>(
    body: (
      tools: {
        readonly publisher: Effect.Effect.Success<ReturnType<typeof makeKedaPublisher>>
        readonly refresh: Effect.Effect<void>
      }
    ) => Effect.Effect<A, E, Needs>
  ) =>
    h.run(
      Effect.gen(function*() {
        yield* TestClock.setTime(at(START) + 30_000)
        const forecasts = yield* Forecasts
        const publisher = yield* makeKedaPublisher(TARGET)
        return yield* body({ publisher, refresh: forecasts.refresh })
      }).pipe(Effect.scoped, Effect.provide(kube.layer))
    )
  return { kube, h, configMap, operatorView, run }
}

const now = Effect.clockWith((clock) => clock.currentTimeMillis)

describe("the KEDA forecast ConfigMap", () => {
  it.effect("holds the zone's forecast in the exporter's format, with a record for now that the operator finds", () => {
    const t = setup()
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        assert.strictEqual(yield* publisher.publish, "published")
        const cm = t.configMap()
        assert.deepStrictEqual(Object.keys(cm?.data ?? {}).sort(), [
          "forecastDateTime",
          "lastHeartbeatTime",
          "maxForecast",
          "message",
          "minForecast",
          "numOfRecords"
        ])
        assert.deepStrictEqual(Object.keys(cm?.binaryData ?? {}), ["data"])
        assert.isUndefined(cm?.immutable)
        assert.strictEqual(cm?.data?.["numOfRecords"], "24")
        assert.strictEqual(cm?.data?.["minForecast"], "100.000000")
        assert.strictEqual(cm?.data?.["message"], "")
        const records = t.operatorView()
        assert.strictEqual(records.length, 24)
        assert.isTrue(records.every((r) => r.location === "DE" && r.duration === 60))
        assert.deepStrictEqual(findCarbonForecast(records, yield* now), {
          location: "DE",
          timestamp: at(START),
          duration: 60,
          value: 400
        })
        assert.strictEqual(findCarbonForecast(records, at(START) + 3 * HOUR + 59 * MINUTE)?.value, 120)
      })
    )
  })

  it.effect("is updated in place: a replace on the last resourceVersion, the object's identity and labels kept", () => {
    const t = setup()
    // As k8s-keda.yaml ships it: present, labelled, without data.
    t.kube.controls.configMaps.set(WHERE, {
      metadata: { ...TARGET.configMap, uid: "uid-1", resourceVersion: "7", labels: { app: "carbon-poller" } }
    })
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        const first = t.configMap()?.metadata?.resourceVersion
        yield* TestClock.adjust("5 minutes")
        yield* publisher.publish
        const cm = t.configMap()
        assert.strictEqual(cm?.metadata?.uid, "uid-1")
        assert.deepStrictEqual(cm?.metadata?.labels, { app: "carbon-poller" })
        assert.notStrictEqual(first, "7")
        assert.notStrictEqual(cm?.metadata?.resourceVersion, first)
        assert.strictEqual(cm?.data?.["lastHeartbeatTime"], "2024-03-06 10:05:30 +0000 UTC")
      })
    )
  })

  it.effect("someone else's edit is overwritten at the next publish, never merged", () => {
    const t = setup()
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        const ours = t.configMap()?.binaryData?.[RECORDS_KEY]
        const edited: V1ConfigMap = {
          ...t.configMap(),
          metadata: { ...t.configMap()?.metadata, resourceVersion: "edited-1" },
          data: { ...t.configMap()?.data, note: "hand edit", minForecast: "0" },
          binaryData: { [RECORDS_KEY]: Buffer.from("[]").toString("base64"), extra: "AA==" }
        }
        t.kube.controls.configMaps.set(WHERE, edited)
        assert.strictEqual(yield* publisher.publish, "published")
        const cm = t.configMap()
        assert.isUndefined(cm?.data?.["note"])
        assert.strictEqual(cm?.data?.["minForecast"], "100.000000")
        assert.deepStrictEqual(Object.keys(cm?.binaryData ?? {}), [RECORDS_KEY])
        assert.strictEqual(cm?.binaryData?.[RECORDS_KEY], ours)
      })
    )
  })

  it.effect("a deleted ConfigMap is created again at the next publish", () => {
    const t = setup()
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        t.kube.controls.configMaps.delete(WHERE)
        assert.strictEqual(yield* publisher.publish, "published")
        assert.isDefined(findCarbonForecast(t.operatorView(), yield* now))
      })
    )
  })

  it.effect("a forecast that cannot be had keeps the last records, with message saying why", () => {
    const t = setup([respond(200, forecastBody("DE", START, VALUES)), ...failingRefresh])
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        const good = t.configMap()?.binaryData?.[RECORDS_KEY]
        yield* TestClock.adjust("1 hour")
        yield* Effect.fork(refresh)
        yield* TestClock.adjust("2 minutes") // the refresh's retries
        assert.strictEqual(yield* publisher.publish, "kept")
        const cm = t.configMap()
        assert.strictEqual(cm?.binaryData?.[RECORDS_KEY], good)
        // The failure's time is after the refresh's retries.
        assert.match(
          cm?.data?.["message"] ?? "",
          /^forecast for DE not refreshed at 2024-03-06T11:00:[\d.]+Z \(ServerError: Internal Server Error\); /
        )
        assert.match(cm?.data?.["message"] ?? "", /showing the forecast fetched at 2024-03-06T10:00:30Z$/)
        assert.strictEqual(findCarbonForecast(t.operatorView(), yield* now)?.value, 380)
      })
    )
  })

  it.effect("after a restart that finds no forecast, the records in the ConfigMap stay, with message saying why", () => {
    const before = setup()
    const after = setup(failingRefresh, VALUES, before.kube)
    return Effect.gen(function*() {
      yield* before.run(({ publisher, refresh }) => Effect.zipRight(refresh, publisher.publish))
      const good = before.configMap()?.binaryData?.[RECORDS_KEY]
      yield* after.run(({ publisher, refresh }) =>
        Effect.gen(function*() {
          yield* Effect.fork(refresh)
          yield* TestClock.adjust("2 minutes")
          assert.strictEqual(yield* publisher.publish, "kept")
          assert.strictEqual(after.configMap()?.binaryData?.[RECORDS_KEY], good)
          assert.match(after.configMap()?.data?.["message"] ?? "", /^no forecast for DE: ServerError: /)
        })
      )
    })
  })

  it.effect("nothing is written before the first forecast: never an empty ConfigMap", () => {
    const t = setup(failingRefresh)
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* Effect.fork(refresh)
        yield* TestClock.adjust("2 minutes")
        assert.strictEqual(yield* publisher.publish, "nothing_yet")
        assert.isUndefined(t.configMap())
      })
    )
  })

  it.effect("an API server that refuses or times out is a typed error; the next publish writes", () => {
    const t = setup()
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        const cache = renderCache(Option.getOrThrow((yield* (yield* Poller).pollOnce(["DE"])).written))
        for (const [reason, status] of [["Timeout", undefined], ["Forbidden", 403]] as const) {
          t.kube.controls.block = Effect.fail(new KubeError({ reason, operation: "call", status, detail: "memory" }))
          const failed = yield* Effect.either(publisher.publish)
          assert.strictEqual(
            Either.isLeft(failed) ? `${failed.left._tag} ${failed.left.reason}` : "published",
            `KedaPublishError ${reason}`
          )
          assert.match(Either.isLeft(failed) ? failed.left.message : "", /carbon-aware\/carbon-intensity not updated/)
          // As an output of the poll it does not fail: the poll goes on.
          assert.isTrue(Either.isRight(yield* Effect.either(publisher.output.publish(cache))))
        }
        t.kube.controls.block = undefined
        assert.strictEqual(yield* publisher.publish, "published")
        assert.isDefined(findCarbonForecast(t.operatorView(), yield* now))
      })
    )
  })

  it.effect("no record has a zero value or a zero duration", () => {
    const t = setup([], [0, 0, 120, 0, ...Array.from({ length: 20 }, () => 200)])
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        const records = t.operatorView()
        assert.strictEqual(records.length, 24)
        assert.isTrue(records.every((r) => r.value > 0 && r.duration > 0))
        const raw = Buffer.from(t.configMap()?.binaryData?.[RECORDS_KEY] ?? "", "base64").toString("utf8")
        assert.notMatch(raw, /"value":0[,}]|"duration":0[,}]/)
      })
    )
  })

  it.effect("only the leader writes", () => {
    const t = setup()
    const follower = Leadership.of({ isLeader: Effect.succeed(false), becameLeader: Stream.never })
    return t.h.run(
      Effect.gen(function*() {
        yield* TestClock.setTime(at(START) + 30_000)
        yield* (yield* Forecasts).refresh
        const publisher = yield* makeKedaPublisher(TARGET).pipe(Effect.provideService(Leadership, follower))
        assert.strictEqual(yield* publisher.publish, "not_leader")
        assert.isUndefined(t.configMap())
      }).pipe(Effect.scoped, Effect.provide(t.kube.layer))
    )
  })

  it.effect("a leader deposed during a publish gives up after the 409: the new leader's edit or delete stands", () => {
    const t = setup()
    return t.h.run(
      Effect.gen(function*() {
        yield* TestClock.setTime(at(START) + 30_000)
        yield* (yield* Forecasts).refresh
        const leads = yield* Ref.make(true)
        const leadership = Leadership.of({ isLeader: Ref.get(leads), becameLeader: Stream.never })
        const publisher = yield* makeKedaPublisher(TARGET).pipe(Effect.provideService(Leadership, leadership))
        const takeovers: ReadonlyArray<[string, () => void]> = [
          ["edit", () =>
            t.kube.controls.configMaps.set(WHERE, {
              ...t.configMap(),
              metadata: { ...t.configMap()?.metadata, resourceVersion: "new-leader-1" },
              data: { ...t.configMap()?.data, message: "the new leader's" }
            })],
          ["delete", () => t.kube.controls.configMaps.delete(WHERE)]
        ]
        for (const [what, takeover] of takeovers) {
          yield* Ref.set(leads, true)
          assert.strictEqual(yield* publisher.publish, "published", what)
          // At the publish's first call (after its leadership check), a new leader writes and this one is deposed.
          let calls = 0
          let theirs: V1ConfigMap | undefined
          t.kube.controls.block = Effect.suspend(() => {
            calls += 1
            if (calls > 1) return Effect.void
            takeover()
            theirs = t.configMap()
            return Ref.set(leads, false)
          })
          assert.strictEqual(yield* publisher.publish, "not_leader", what)
          t.kube.controls.block = undefined
          // The replace (409 or 404) and the read after it; no second write.
          assert.strictEqual(calls, 2, what)
          assert.deepStrictEqual(t.configMap(), theirs, what)
        }
        // Leading again, it starts from what is there.
        yield* Ref.set(leads, true)
        assert.strictEqual(yield* publisher.publish, "published")
        assert.isDefined(findCarbonForecast(t.operatorView(), yield* now))
      }).pipe(Effect.scoped, Effect.provide(t.kube.layer))
    )
  })

  it.effect("keeps a day of the past for the operator's look back, across a restart", () => {
    const later = "2024-03-06T15:00:00Z"
    const t = setup([
      respond(200, forecastBody("DE", START, VALUES)),
      respond(200, forecastBody("DE", later, Array.from({ length: 24 }, () => 90)))
    ])
    return t.run(({ publisher, refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        yield* publisher.publish
        yield* TestClock.adjust("5 hours")
        yield* refresh
        yield* publisher.publish
        // A new process (a restart, or a new leader) starts from what the ConfigMap holds.
        const restarted = yield* makeKedaPublisher(TARGET)
        yield* TestClock.adjust("5 minutes")
        yield* restarted.publish
        const records = t.operatorView()
        assert.strictEqual(records[0]?.timestamp, at(START))
        assert.strictEqual(records.length, 5 + 24)
        // The five hours before 15:00 (the old forecast's 400, 380, 300, 120, 100) are still there for
        // the operator's look back: "at least 100 for the last 300 minutes" holds.
        assert.isTrue(highForTheLast(records, at(later) - MINUTE, 300, 100))
        assert.strictEqual(findCarbonForecast(records, yield* now)?.value, 90)
        // The data keys describe the forecast ahead, not the past day beside it (100 to 400).
        const { data } = t.configMap() ?? {}
        assert.deepStrictEqual(
          [data?.["numOfRecords"], data?.["forecastDateTime"], data?.["minForecast"], data?.["maxForecast"]],
          ["29", "2024-03-06 15:00:00 +0000 UTC", "90.000000", "90.000000"]
        )
      })
    )
  })

  it.effect("a forecast refresh reaches the ConfigMap without waiting for a poll", () => {
    const t = setup()
    return t.run(({ refresh }) =>
      Effect.gen(function*() {
        yield* refresh
        assert.isUndefined(t.configMap())
        yield* TestClock.adjust("1 minute")
        assert.strictEqual(t.configMap()?.data?.["numOfRecords"], "24")
      })
    )
  })
})
