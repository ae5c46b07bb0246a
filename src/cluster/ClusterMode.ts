/**
 * Cluster mode, wired into the service: the Lease decides who leads, the ConfigMap is one more
 * output (the leader's), and every replica mirrors the ConfigMap into its `CACHE_FILE`. In sidecar
 * mode (the cluster variables unset) none of this is built and the Kubernetes client is never
 * loaded.
 */
import { Clock, Context, Effect, Either, Layer, Option, Ref, Stream } from "effect"
import { BasisConfig } from "../config/BasisConfig.js"
import { CacheConfig } from "../config/CacheConfig.js"
import { ClusterConfig, type ClusterMode, formatRef } from "../config/ClusterConfig.js"
import { PollingConfig } from "../config/PollingConfig.js"
import { InvalidConfig } from "../config/Variables.js"
import type { RenderedCache } from "../domain/CacheFile.js"
import { parseCacheTimestamp } from "../domain/Time.js"
import * as Metrics from "../observability/Metrics.js"
import { CacheFileOutput } from "../outputs/file/FileOutput.js"
import { PollStatus } from "../poll/PollStatus.js"
import { type CacheOutputShape, OutputError } from "../ports/CacheOutput.js"
import { Leadership } from "../ports/Leadership.js"
import * as ConfigMapStore from "./ConfigMapStore.js"
import * as KubeClient from "./KubeClient.js"
import * as LeaderElection from "./LeaderElection.js"
import { checkPublishedCache } from "./PublishedCacheCheck.js"

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

/**
 * The leader's side of the ConfigMap: the output each poll publishes to, and the repair of a
 * ConfigMap another writer changed (an operator's edit, a script): the leader puts its own last
 * publish back as soon as it sees the change, not at its next poll.
 */
class LeaderPublisher extends Context.Tag("carbon-poller/ClusterMode/LeaderPublisher")<LeaderPublisher, {
  readonly output: CacheOutputShape
  /** Given what the ConfigMap was seen to hold: replaces it with this leader's last publish when they differ. */
  readonly restoreIfChanged: (seen: string) => Effect.Effect<void>
}>() {}

const leaderPublisher = (mode: ClusterMode) =>
  Effect.gen(function*() {
    const store = yield* ConfigMapStore.ConfigMapStore
    const election = yield* LeaderElection.LeaderElection
    const name = `ConfigMap ${formatRef(mode.configMap)}`
    /** What this replica last published; publishes and repairs take turns, so a repair never undoes a newer publish. */
    const lastPublished = yield* Ref.make(Option.none<string>())
    const oneAtATime = yield* Effect.makeSemaphore(1)
    const refused = (step: string, detail: string, cause?: unknown) =>
      new OutputError({ output: name, step, detail, keeps: "the published cache is left as it was", cause })

    const publishNow = (contents: string) =>
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
        yield* Ref.set(lastPublished, Option.some(contents))
      })

    const isConflict = (error: OutputError) =>
      typeof error.cause === "object" && error.cause !== null && "reason" in error.cause &&
      error.cause.reason === "Conflict"

    const restoreIfChanged = (seen: string): Effect.Effect<void> =>
      oneAtATime.withPermits(1)(Effect.gen(function*() {
        const mine = yield* Ref.get(lastPublished)
        if (Option.isNone(mine) || mine.value === seen) return
        // Looked at again under the lock: what was seen may predate this leader's latest publish.
        const current = yield* Effect.option(store.peek)
        if (Option.isSome(current) && Option.isSome(current.value) && current.value.value.contents === mine.value) {
          return
        }
        yield* Effect.logWarning(
          `${name} was changed by another writer; replacing it with this leader's last published cache`
        ).pipe(Effect.annotateLogs({ event: "configmap_restore" }))
        const attempt = publishNow(mine.value)
        // The foreign write moved the version: the first attempt is refused (409) and the store
        // re-reads, so the second is based on what is there now (leadership confirmed again).
        yield* attempt.pipe(
          Effect.catchIf(isConflict, () => attempt),
          Effect.catchAll((error) => Effect.logError(error.message))
        )
      }))

    const output: CacheOutputShape = {
      name,
      publish: ({ contents }: RenderedCache) => oneAtATime.withPermits(1)(publishNow(contents)),
      recall: store.read.pipe(
        Effect.map(Option.map((published) => published.contents)),
        Effect.orElseSucceed(() => Option.none<string>())
      )
    }
    return LeaderPublisher.of({ output, restoreIfChanged })
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
  const publisher = Layer.effect(LeaderPublisher, leaderPublisher(mode))
  const ports = Layer.merge(
    Layer.scoped(Leadership, leadershipOf),
    Layer.effect(ClusterOutputs, Effect.map(LeaderPublisher, (leader) => [leader.output]))
  )
  return Layer.merge(ports, mirrorLayer(formatRef(mode.configMap))).pipe(
    Layer.provide(publisher),
    Layer.provideMerge(core),
    Layer.provide(kube)
  )
}

/** The Leadership port and the cluster's outputs: always-leader and none, or the Lease's and the ConfigMap. */
export const layer = Layer.unwrapEffect(
  Effect.map(ClusterConfig, ({ cluster }) =>
    Option.match(cluster, {
      onNone: () => sidecar,
      onSome: clusterLayer
    }))
)

/** Problems named in one log line and in `/readyz`; the rest are counted. */
const SHOWN_PROBLEMS = 3

/**
 * Every replica keeps `CACHE_FILE` in step with the ConfigMap (read at least four times per poll
 * interval, between once a second and every 30 s), atomically like any write, and reports what it
 * mirrored through `PollStatus`, so `/readyz` means "my file mirrors a published cache within its
 * TTL" and `/cache` serves it. A published cache is checked first (src/cluster/PublishedCacheCheck.ts):
 * one that breaks the rules is refused, named in the log and `/readyz`, and never written. The
 * leader mirrors nothing (its file is its own poll's); it puts its cache back when another writer
 * changed the ConfigMap.
 */
const mirror = (configMap: string) =>
  Effect.gen(function*() {
    const store = yield* ConfigMapStore.ConfigMapStore
    const file = yield* CacheFileOutput
    const status = yield* PollStatus
    const election = yield* LeaderElection.LeaderElection
    const leader = yield* LeaderPublisher
    const { maxReadingAgeMinutes, pollIntervalMinutes } = yield* PollingConfig
    const { cacheTtlMinutes } = yield* CacheConfig
    const { emissionFactorType } = yield* BasisConfig
    const interval = `${Math.max(1_000, Math.min((pollIntervalMinutes * 60_000) / 4, 30_000))} millis` as const

    const refuse = (problems: ReadonlyArray<string>) => {
      const more = problems.length > SHOWN_PROBLEMS ? ` (and ${problems.length - SHOWN_PROBLEMS} more)` : ""
      const message = `the cache published in ConfigMap ${configMap} was refused and not mirrored: ${
        problems.slice(0, SHOWN_PROBLEMS).join("; ")
      }${more}`
      return Effect.logWarning(message).pipe(
        Effect.annotateLogs({ event: "mirror_refused" }),
        Effect.zipRight(status.publishedRefused(message))
      )
    }

    yield* store.follow(interval).pipe(
      Stream.runForEach((published) =>
        Effect.gen(function*() {
          if (yield* election.isLeader) return yield* leader.restoreIfChanged(published.contents)
          const now = yield* Clock.currentTimeMillis
          const checked = checkPublishedCache(published.contents, {
            ttlMinutes: cacheTtlMinutes,
            emissionFactorType,
            maxReadingAgeMinutes,
            now
          })
          if (Either.isLeft(checked)) return yield* refuse(checked.left)
          const { lastWrite } = yield* status.get
          const already = Option.isSome(lastWrite) && lastWrite.value.contents === published.contents
          if (already) yield* status.publishedRefused(undefined)
          else {
            const outcome = yield* Effect.either(file.publish({ cache: checked.right, contents: published.contents }))
            if (outcome._tag === "Left") {
              yield* Effect.logError(outcome.left.message)
              yield* status.writeFailed(outcome.left.message)
              return
            }
            const writtenAt = yield* Clock.currentTimeMillis
            yield* status.written({ cache: checked.right, contents: published.contents, writtenAt })
          }
          const producedAt = parseCacheTimestamp(checked.right.timestamp)
          if (producedAt !== undefined) yield* Metrics.set(Metrics.mirrorLag, {}, Math.max(0, now - producedAt) / 1000)
        })
      )
    )
  })

const mirrorLayer = (configMap: string) => Layer.scopedDiscard(Effect.forkScoped(mirror(configMap)))
