/** The published cache in a ConfigMap, against the stand-in API server through the real client. */
import { assert, describe, it } from "@effect/vitest"
import { Chunk, Context, Effect, Either, Fiber, Layer, Logger, LogLevel, Option, Stream } from "effect"
import * as ConfigMapStore from "../../src/cluster/ConfigMapStore.js"
import { parseObjectRef } from "../../src/config/ClusterConfig.js"
import { manifestEnv } from "../support/kube/clusterManifest.js"
import type { FakeKubeApiServer } from "../support/kube/FakeKubeApiServer.js"
import { type StandIn, standIn } from "../support/kube/standIn.js"

const ref = Option.getOrThrow(parseObjectRef(manifestEnv("PUBLISH_CONFIGMAP")))
const allowCreate = [
  { apiGroups: [""], resources: ["configmaps"], verbs: ["get", "update"], resourceNames: [ref.name] },
  { apiGroups: [""], resources: ["configmaps"], verbs: ["create"] }
]
const quiet = Logger.withMinimumLogLevel(LogLevel.Error)

/** A store of its own (a replica), over the stand-in's client. */
const storeOf = (s: StandIn) =>
  Effect.map(
    Layer.build(ConfigMapStore.layer(ref).pipe(Layer.provide(s.client))),
    (ctx) => Context.get(ctx, ConfigMapStore.ConfigMapStore)
  ).pipe(Effect.orDie)

/** The ConfigMap as k8s-cluster.yaml ships it: present, labelled, no data. */
const seedEmpty = (fake: FakeKubeApiServer) =>
  fake.putObject("configmaps", ref.namespace, ref.name, {
    metadata: { labels: { "app.kubernetes.io/name": "carbon-poller" } }
  })

const publishedData = (fake: FakeKubeApiServer) => fake.getObject("configmaps", ref.namespace, ref.name)?.["data"]

const cache = (n: number) => `{\n  "generatedAt": "2026-01-01T00:0${n}:00Z",\n  "zones": []\n}\n`

describe("ConfigMapStore", () => {
  it.live("publishes into the shipped empty ConfigMap, byte for byte, keeping its metadata", () =>
    Effect.gen(function*() {
      const s = yield* standIn()
      seedEmpty(s.fake)
      const store = yield* storeOf(s)
      assert.isTrue(Option.isNone(yield* store.read))
      yield* store.publish(cache(1))
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(1) })
      yield* store.publish(cache(2))
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(2) })
      const stored = s.fake.getObject("configmaps", ref.namespace, ref.name)
      assert.deepStrictEqual(stored?.metadata["labels"], { "app.kubernetes.io/name": "carbon-poller" })
      const read = Option.getOrThrow(yield* store.read)
      assert.strictEqual(read.contents, cache(2))
      assert.strictEqual(read.resourceVersion, stored?.metadata.resourceVersion)
      assert.strictEqual(s.fake.unconditionalWrites, 0)
    }).pipe(Effect.scoped, quiet))

  it.live("what a follower mirrors does not move the version a publish is based on: a late write is still refused", () =>
    Effect.gen(function*() {
      // A generous call timeout: on a busy machine a slow answer must not pass for the refusal.
      const s = yield* standIn({}, "10 seconds")
      seedEmpty(s.fake)
      const store = yield* storeOf(s)
      yield* store.publish(cache(1))
      // Another writer (a new leader) publishes; this replica's mirror sees it.
      const other = s.fake.getObject("configmaps", ref.namespace, ref.name)!
      s.fake.putObject("configmaps", ref.namespace, ref.name, {
        ...other,
        data: { [ConfigMapStore.CACHE_KEY]: cache(9) }
      })
      const mirrored = yield* store.follow("10 millis").pipe(Stream.take(1), Stream.runCollect)
      assert.strictEqual(Chunk.unsafeHead(mirrored).contents, cache(9))
      const late = yield* Effect.either(store.publish(cache(2)))
      assert.strictEqual(
        Either.isLeft(late) && late.left._tag === "KubeError"
          ? late.left.reason
          : `not refused: ${JSON.stringify(late)}`,
        "Conflict"
      )
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(9) })
    }).pipe(Effect.scoped, quiet))

  it.live("creates the ConfigMap when it is missing", () =>
    Effect.gen(function*() {
      const s = yield* standIn({ rules: allowCreate })
      const store = yield* storeOf(s)
      yield* store.publish(cache(1))
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(1) })
      yield* store.publish(cache(2))
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(2) })
      assert.strictEqual(s.fake.writes, 2)
    }).pipe(Effect.scoped, quiet))

  it.live("a deposed leader's late write is refused with Conflict and not forced; the next one is based on a fresh read", () =>
    Effect.gen(function*() {
      const s = yield* standIn()
      seedEmpty(s.fake)
      const deposed = yield* storeOf(s)
      const leader = yield* storeOf(s)
      yield* deposed.publish(cache(1))
      yield* leader.publish(cache(2))
      const late = yield* Effect.either(deposed.publish(cache(3)))
      assert.strictEqual(
        Either.isLeft(late) && late.left._tag === "KubeError"
          ? late.left.reason
          : `not refused: ${JSON.stringify(late)}`,
        "Conflict"
      )
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(2) })
      assert.strictEqual(s.fake.rejectedWrites, 1)
      assert.strictEqual(s.fake.unconditionalWrites, 0)
      // It re-read after the conflict, so a later publish (as a leader again) applies cleanly.
      yield* deposed.publish(cache(4))
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: cache(4) })
    }).pipe(Effect.scoped, quiet))

  it.live("refuses a cache above the 1 MiB ConfigMap limit whole, saying the size; at the limit it publishes", () =>
    Effect.gen(function*() {
      const s = yield* standIn()
      seedEmpty(s.fake)
      const store = yield* storeOf(s)
      const fits = "x".repeat(ConfigMapStore.CONFIGMAP_LIMIT_BYTES - ConfigMapStore.CACHE_KEY.length)
      yield* store.publish(fits)
      assert.strictEqual(
        ConfigMapStore.dataSize({ [ConfigMapStore.CACHE_KEY]: fits }),
        ConfigMapStore.CONFIGMAP_LIMIT_BYTES
      )
      const writes = s.fake.writes
      const tooBig = `${fits}y`
      const refused = yield* Effect.either(store.publish(tooBig))
      assert.isTrue(Either.isLeft(refused) && refused.left._tag === "ConfigMapTooLarge")
      if (Either.isLeft(refused) && refused.left._tag === "ConfigMapTooLarge") {
        assert.strictEqual(refused.left.bytes, ConfigMapStore.CONFIGMAP_LIMIT_BYTES + 1)
        assert.match(refused.left.message, /1048577 bytes/)
      }
      assert.strictEqual(s.fake.writes, writes)
      assert.strictEqual(s.fake.rejectedWrites, 0)
      assert.deepStrictEqual(publishedData(s.fake), { [ConfigMapStore.CACHE_KEY]: fits })
    }).pipe(Effect.scoped, quiet))

  it("counts multi-byte characters as the API server does, in UTF-8 bytes", () => {
    assert.strictEqual(ConfigMapStore.dataSize({ k: "é" }), 3)
  })

  it.live("without create in the Role a missing ConfigMap is reported Forbidden", () =>
    Effect.gen(function*() {
      const s = yield* standIn()
      const store = yield* storeOf(s)
      const denied = yield* Effect.either(store.publish(cache(1)))
      assert.isTrue(Either.isLeft(denied) && denied.left._tag === "KubeError" && denied.left.reason === "Forbidden")
      assert.isUndefined(s.fake.getObject("configmaps", ref.namespace, ref.name))
    }).pipe(Effect.scoped, quiet))

  it.live("follow emits each new published cache once, and rides out an unreachable API server", () =>
    Effect.gen(function*() {
      const s = yield* standIn()
      seedEmpty(s.fake)
      const leader = yield* storeOf(s)
      const follower = yield* storeOf(s)
      const seen = yield* follower.follow("50 millis").pipe(Stream.take(3), Stream.runCollect, Effect.fork)
      yield* leader.publish(cache(1))
      yield* Effect.sleep("200 millis")
      yield* leader.publish(cache(1)) // same bytes: not emitted again
      yield* Effect.sleep("200 millis")
      yield* leader.publish(cache(2))
      yield* Effect.sleep("200 millis")
      yield* Effect.promise(() => s.fake.stop())
      yield* Effect.sleep("200 millis")
      yield* Effect.promise(() => s.fake.resume())
      yield* leader.publish(cache(3))
      const contents = Chunk.toReadonlyArray(yield* Fiber.join(seen).pipe(Effect.timeout("5 seconds"))).map((p) =>
        p.contents
      )
      assert.deepStrictEqual(contents, [cache(1), cache(2), cache(3)])
    }).pipe(Effect.scoped, quiet))
})
