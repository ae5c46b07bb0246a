/**
 * Cluster mode's mirror against the stand-in API server, through the real client and the real file
 * output: a follower mirrors a good published cache and refuses a hand-edited one (named in the log
 * and `/readyz`, never written to its file); a leader puts its own cache back at once when another
 * writer changed the ConfigMap. Live time (the HTTP parts need a real clock); only the protocol's
 * outcomes are asserted, each within a generous deadline.
 */
import { FileSystem, Path } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Effect, Layer, Logger, Option, Schema } from "effect"
import * as ClusterMode from "../../src/cluster/ClusterMode.js"
import { parseObjectRef } from "../../src/config/ClusterConfig.js"
import { CacheFile, renderCache } from "../../src/domain/CacheFile.js"
import { readiness } from "../../src/http/Health.js"
import * as FileModes from "../../src/outputs/file/FileModes.js"
import * as FileOutput from "../../src/outputs/file/FileOutput.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { nextCache } from "../../src/poll/Ranking.js"
import { Leadership } from "../../src/ports/Leadership.js"
import { manifestEnv } from "../support/kube/clusterManifest.js"
import { type FakeKubeApiServer, fakeKubeApiServer, kubeconfigFile } from "../support/kube/FakeKubeApiServer.js"
import { EM_SOURCE } from "../support/samples.js"
import * as TestSettings from "../support/settings.js"

const lease = Option.getOrThrow(parseObjectRef(manifestEnv("LEADER_ELECTION_LEASE")))
const configMap = Option.getOrThrow(parseObjectRef(manifestEnv("PUBLISH_CONFIGMAP")))

/** A cache as a leader renders it, produced `now`. */
const goodCache = (now: number, intensity = 50) =>
  renderCache(
    nextCache({
      configuredZones: ["FR"],
      fresh: [{
        zone: "FR",
        fetchedAt: now,
        source: EM_SOURCE,
        reading: {
          zone: "FR",
          carbonIntensity: intensity,
          datetime: new Date(Math.floor(now / 3_600_000) * 3_600_000).toISOString(),
          updatedAt: new Date(now - 600_000).toISOString(),
          emissionFactorType: "lifecycle",
          isEstimated: true
        }
      }],
      failures: [],
      previous: undefined,
      now,
      ttlMinutes: 10
    })!
  ).contents

const published = (fake: FakeKubeApiServer): string | undefined => {
  const data = fake.getObject("configmaps", configMap.namespace, configMap.name)?.["data"]
  const value = typeof data === "object" && data !== null ? Reflect.get(data, "carbon_cache.json") : undefined
  return typeof value === "string" ? value : undefined
}

const publish = (fake: FakeKubeApiServer, contents: string) =>
  fake.putObject("configmaps", configMap.namespace, configMap.name, { data: { "carbon_cache.json": contents } })

/** Whether `condition` holds within `millis`, checking every 100 ms. */
const eventually = (condition: Effect.Effect<boolean>, millis: number) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < millis; waited += 100) {
      if (yield* condition) return true
      yield* Effect.sleep("100 millis")
    }
    return yield* condition
  })

/** One replica in cluster mode, its file in a temporary directory; its log lines are collected. */
const replica = (fake: FakeKubeApiServer, identity: string) =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = yield* fs.makeTempDirectoryScoped()
    const kubeconfig = yield* kubeconfigFile(fake.url)
    const cacheFile = `${dir}/carbon_cache.json`
    const lines: Array<string> = []
    const logger = Logger.replace(Logger.defaultLogger, Logger.make(({ message }) => lines.push(String(message))))
    const settings = TestSettings.layer({
      cacheFile,
      cacheTtlMinutes: 10,
      pollIntervalMinutes: 0.05,
      cluster: Option.some({ lease, configMap, identity, kubeconfigPath: Option.some(kubeconfig) })
    })
    const context = yield* Layer.build(
      ClusterMode.layer.pipe(
        Layer.provideMerge(Layer.mergeAll(FileOutput.layer, PollStatus.Default)),
        Layer.provideMerge(Layer.mergeAll(settings, NodeFileSystem.layer, Path.layer, FileModes.layer)),
        Layer.provide(logger)
      )
    )
    const file = Effect.orElseSucceed(fs.readFileString(cacheFile), () => "")
    return {
      context,
      lines,
      file,
      status: Context.get(context, PollStatus),
      isLeader: Context.get(context, Leadership).isLeader,
      output: Context.get(context, ClusterMode.ClusterOutputs)[0]!
    }
  })

describe("the mirror of the published cache", () => {
  it.scopedLive("a follower mirrors a good cache, refuses a hand-edited one (log, /readyz), and never writes it", () =>
    Effect.gen(function*() {
      const fake = yield* fakeKubeApiServer()
      const now = yield* Clock.currentTimeMillis
      const microTime = new Date(now).toISOString().replace(/Z$/, "000Z")
      // Another replica holds the Lease for longer than this test runs.
      fake.putObject("leases", lease.namespace, lease.name, {
        spec: { holderIdentity: "the-leader", leaseDurationSeconds: 600, renewTime: microTime, acquireTime: microTime }
      })
      const good = goodCache(now)
      publish(fake, good)
      const r = yield* replica(fake, "replica-b")
      assert.isTrue(
        yield* eventually(Effect.map(r.file, (text) => text === good), 10_000),
        "the good cache was not mirrored"
      )
      assert.isFalse(yield* r.isLeader)

      for (
        const hostile of [
          good.replace("\"carbonIntensity\": 50", "\"carbonIntensity\": 1e400"),
          good.replace("\"best_region\": \"FR\"", "\"best_region\": \"XX\""),
          good.replace("\"ttl_minutes\": 10", "\"ttl_minutes\": 1000000000"),
          good.replace("\"ttl_minutes\": 10", "\"ttl_minutes\": 1e400")
        ]
      ) {
        publish(fake, hostile)
        const refused = yield* eventually(Effect.map(r.status.get, (s) => s.publishedRefused !== undefined), 10_000)
        assert.isTrue(refused, `not refused: ${hostile.slice(0, 80)}`)
        assert.strictEqual(yield* r.file, good)
        const ready = readiness(yield* r.status.get, yield* Clock.currentTimeMillis)
        assert.isTrue(ready.ready, "the mirrored good cache is still valid")
        assert.match(ready.publishedCacheRefused ?? "", /was refused and not mirrored/)
        assert.isTrue(r.lines.some((line) => line.includes("refused and not mirrored")))
        // Back to a good one: mirrored, and the refusal is gone.
        publish(fake, good)
        assert.isTrue(yield* eventually(Effect.map(r.status.get, (s) => s.publishedRefused === undefined), 10_000))
      }
      const newer = goodCache(yield* Clock.currentTimeMillis, 60)
      publish(fake, newer)
      assert.isTrue(yield* eventually(Effect.map(r.file, (text) => text === newer), 10_000))
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.scopedLive("a leader puts its cache back at once when another writer changed the ConfigMap, and mirrors nothing", () =>
    Effect.gen(function*() {
      const fake = yield* fakeKubeApiServer()
      fake.putObject("leases", lease.namespace, lease.name, { spec: {} })
      fake.putObject("configmaps", configMap.namespace, configMap.name, {})
      const r = yield* replica(fake, "replica-a")
      assert.isTrue(yield* eventually(r.isLeader, 10_000), "did not become leader")
      const mine = goodCache(yield* Clock.currentTimeMillis)
      yield* r.output.publish({ cache: Schema.decodeUnknownSync(Schema.parseJson(CacheFile))(mine), contents: mine })
      assert.strictEqual(published(fake), mine)
      for (
        const foreign of [
          "{\"written by\": \"an operator\"}",
          mine.replace("\"carbonIntensity\": 50", "\"carbonIntensity\": 5")
        ]
      ) {
        publish(fake, foreign)
        assert.isTrue(
          yield* eventually(Effect.sync(() => published(fake) === mine), 10_000),
          `the ConfigMap still holds ${published(fake)?.slice(0, 60)}`
        )
        assert.isTrue(r.lines.some((line) => line.includes("was changed by another writer")))
      }
      // The leader's file is its own poll's, never a mirror of the ConfigMap.
      assert.strictEqual(yield* r.file, "")
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
