/**
 * Cluster mode, wired into the service: the Lease decides who leads, the ConfigMap is one more
 * output (the leader's), and every replica mirrors the ConfigMap into its `CACHE_FILE`. In sidecar
 * mode (the cluster variables unset) none of this is built and the Kubernetes client is never
 * loaded.
 */
import { Context, Effect, Layer, Option, Schema, Stream } from "effect"
import { ClusterConfig, type ClusterMode, formatRef } from "../config/ClusterConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { InvalidConfig } from "../config/Variables.js"
import { CacheFile, type RenderedCache } from "../domain/CacheFile.js"
import { parseCacheTimestamp } from "../domain/Time.js"
import * as Metrics from "../observability/Metrics.js"
import { CacheFileOutput } from "../outputs/file/FileOutput.js"
import { PollStatus } from "../poll/PollStatus.js"
import { type CacheOutputShape, OutputError } from "../ports/CacheOutput.js"
import { Leadership } from "../ports/Leadership.js"
import * as ConfigMapStore from "./ConfigMapStore.js"
import * as KubeClient from "./KubeClient.js"
import * as LeaderElection from "./LeaderElection.js"

/** Outputs that exist only in cluster mode (the ConfigMap); none for a sidecar. */
export class ClusterOutputs extends Context.Tag("carbon-poller/ClusterOutputs")<
  ClusterOutputs,
  ReadonlyArray<CacheOutputShape>
>() {}

/** Every call to the API server is bounded; a hung server must not hold a poll or a shutdown. */
const CALL_TIMEOUT = "5 seconds"

/**
 * A sidecar is its own pod's only poller: it leads, always, and has no output of its own. Said on
 * /metrics too, so one alert on `carbon_poller_leader` works for both deployments.
 */
const sidecar = Layer.mergeAll(
  Layer.succeed(Leadership, { isLeader: Effect.succeed(true), becameLeader: Stream.empty }),
  Layer.succeed(ClusterOutputs, []),
  Layer.effectDiscard(Metrics.set(Metrics.leader, {}, 1))
)

const configMapOutput = Effect.fn("ClusterMode.configMapOutput")(function*(mode: ClusterMode) {
  const store = yield* ConfigMapStore.ConfigMapStore
  const election = yield* LeaderElection.LeaderElection
  const name = `ConfigMap ${formatRef(mode.configMap)}`
  const refused = (step: string, detail: string, cause?: unknown) =>
    new OutputError({ output: name, step, detail, keeps: "the published cache is left as it was", cause })
  const output: CacheOutputShape = {
    name,
    publish: ({ contents }: RenderedCache) =>
      Effect.gen(function*() {
        // Confirmed against the Lease right before writing: leadership can end while a poll runs
        // (another holder after a partition); the resourceVersion precondition then refuses
        // whatever still slips through between this read and the write.
        if (!(yield* election.confirm)) {
          yield* Metrics.increment(Metrics.publishes, { outcome: "not_leader" })
          return yield* refused("check leadership", "this replica is not the leader any more")
        }
        yield* store.publish(contents).pipe(
          Effect.tapBoth({
            onFailure: (error) =>
              Metrics.increment(Metrics.publishes, {
                outcome: error._tag === "ConfigMapTooLarge"
                  ? "too_large"
                  : error.reason === "Conflict"
                  ? "conflict"
                  : "failed"
              }),
            onSuccess: () => Metrics.increment(Metrics.publishes, { outcome: "published" })
          }),
          Effect.mapError((error) => refused("publish", error.message, error))
        )
      }),
    recall: store.read.pipe(
      Effect.map(Option.map((published) => published.contents)),
      Effect.orElseSucceed(() => Option.none<string>())
    )
  }
  return output
})

const leadershipOf = Effect.gen(function*() {
  const election = yield* LeaderElection.LeaderElection
  yield* Effect.forkScoped(
    election.changes.pipe(
      Stream.runForEach((state) =>
        Effect.all([
          Metrics.set(Metrics.leader, {}, state.leader ? 1 : 0),
          Effect.flatMap(election.transitions, (n) => Metrics.set(Metrics.leadershipTransitions, {}, n)),
          Effect.log(
            state.leader
              ? "this replica now leads: it polls and publishes"
              : `following ${state.holder ?? "(no leader yet)"}`
          ).pipe(Effect.annotateLogs({ event: "leadership", leader: state.leader, holder: state.holder ?? "" }))
        ])
      )
    )
  )
  return Leadership.of({
    isLeader: election.isLeader,
    becameLeader: election.changes.pipe(
      Stream.changesWith((a, b) => a.leader === b.leader),
      Stream.filter((state) => state.leader),
      Stream.as(undefined)
    )
  })
})

const clusterLayer = (mode: ClusterMode) => {
  const kube = KubeClient.layer({ kubeconfigPath: mode.kubeconfigPath, callTimeout: CALL_TIMEOUT }).pipe(
    Layer.mapError((error) =>
      new InvalidConfig({
        issues: [{
          variable: "KUBECONFIG",
          value: Option.getOrUndefined(mode.kubeconfigPath),
          expected:
            `the Kubernetes API must be reachable with this configuration (in a pod: the service account): ${error.message}`
        }]
      })
    )
  )
  const core = Layer.mergeAll(
    LeaderElection.layer({ lease: mode.lease, identity: mode.identity, releaseTimeout: "1 second" }),
    ConfigMapStore.layer(mode.configMap)
  )
  const ports = Layer.merge(
    Layer.scoped(Leadership, leadershipOf),
    Layer.effect(ClusterOutputs, Effect.map(configMapOutput(mode), (output) => [output]))
  )
  return Layer.merge(ports, mirrorLayer).pipe(Layer.provideMerge(core), Layer.provide(kube))
}

/** The Leadership port and the cluster's outputs: always-leader and none, or the Lease's and the ConfigMap. */
export const layer = Layer.unwrapEffect(
  Effect.map(ClusterConfig, ({ cluster }) =>
    Option.match(cluster, {
      onNone: () => sidecar,
      onSome: clusterLayer
    }))
)

const decodeCache = Schema.decodeUnknownEither(Schema.parseJson(CacheFile))

/**
 * Every replica keeps `CACHE_FILE` in step with the ConfigMap (read at least once per poll
 * interval), atomically like any write, and reports what it mirrored through `PollStatus`, so
 * `/readyz` means "my file mirrors a published cache within its TTL" and `/cache` serves it.
 */
const mirror = Effect.gen(function*() {
  const store = yield* ConfigMapStore.ConfigMapStore
  const file = yield* CacheFileOutput
  const status = yield* PollStatus
  const { pollIntervalMinutes } = yield* PollingConfig
  const interval = `${Math.max(1_000, Math.min(pollIntervalMinutes * 60_000, 30_000))} millis` as const
  yield* store.follow(interval).pipe(
    Stream.runForEach((published) =>
      Effect.gen(function*() {
        const decoded = decodeCache(published.contents)
        if (decoded._tag === "Left") {
          yield* Effect.logWarning("the published cache does not decode; not mirrored")
          return
        }
        const { lastWrite } = yield* status.get
        const already = Option.isSome(lastWrite) && lastWrite.value.contents === published.contents
        if (!already) {
          const outcome = yield* Effect.either(file.publish({ cache: decoded.right, contents: published.contents }))
          if (outcome._tag === "Left") {
            yield* Effect.logError(outcome.left.message)
            yield* status.writeFailed(outcome.left.message)
            return
          }
          const writtenAt = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
          yield* status.written({ cache: decoded.right, contents: published.contents, writtenAt })
        }
        const producedAt = parseCacheTimestamp(decoded.right.timestamp)
        const now = yield* Effect.clockWith((clock) => clock.currentTimeMillis)
        if (producedAt !== undefined) yield* Metrics.set(Metrics.mirrorLag, {}, Math.max(0, now - producedAt) / 1000)
      })
    )
  )
})

const mirrorLayer = Layer.scopedDiscard(Effect.forkScoped(mirror))
