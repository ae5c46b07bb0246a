/**
 * The KEDA forecast ConfigMap, kept by the replica that leads: after every poll that writes, and
 * after every forecast refresh, the zone's records (the past day, the current record, the forecast
 * ahead) replace what the ConfigMap holds, in place.
 *
 * In place, always: a replace carrying the resourceVersion last seen, never a delete and a create
 * (the exporter's way), because in that gap every CarbonAwareKedaScaler finds no ConfigMap and
 * turns its eco mode off. Someone else's edit makes the replace fail (409): this replica is the one
 * writer, so it reads the ConfigMap again and writes its own records over it at once, never merging
 * theirs; but only while it still leads, checked again before that second write: the edit may be a
 * new leader's, made while this replica's publish was under way, and a deposed leader's late write
 * is given up, never forced over it. A deleted ConfigMap is created again, on the same condition.
 * A forecast that cannot be had leaves the last records in place with `message` saying why;
 * nothing is written before there is a first forecast, so the operator never reads an empty
 * ConfigMap.
 *
 * It is an output of the poll, but its failures stay its own: an API server that refuses or times
 * out is a `KedaPublishError`, logged, counted and tried again at the next publish, while the poll
 * goes on as if this output were not there (the cache file and `/readyz` do not depend on it).
 */
import type { V1ConfigMap } from "@kubernetes/client-node"
import { Clock, Context, Data, Effect, Layer, Option, Ref, Stream } from "effect"
import { CONFIGMAP_LIMIT_BYTES, dataSize, readConfigMap, writeConfigMap } from "../../cluster/ConfigMapStore.js"
import * as Kube from "../../cluster/KubeClient.js"
import { KubeClient, type KubeError, type KubeErrorReason } from "../../cluster/KubeClient.js"
import { formatRef } from "../../config/ClusterConfig.js"
import { KedaConfig, type KedaTarget } from "../../config/KedaConfig.js"
import { InvalidConfig } from "../../config/Variables.js"
import { Forecasts } from "../../forecast/Forecasts.js"
import * as Metrics from "../../observability/Metrics.js"
import type { CacheOutputShape } from "../../ports/CacheOutput.js"
import { Leadership } from "../../ports/Leadership.js"
import {
  type ExporterContents,
  mergeSlots,
  recallSlots,
  RECORDS_KEY,
  renderExporter,
  type Slot
} from "./ExporterFormat.js"
import { zoneForecast } from "./ZoneForecast.js"

export class KedaPublishError extends Data.TaggedError("KedaPublishError")<{
  readonly configMap: string
  readonly reason: KubeErrorReason | "TooLarge"
  readonly detail: string
  readonly cause?: unknown
}> {
  override get message(): string {
    return `KEDA ConfigMap ${this.configMap} not updated (${this.reason}): ${this.detail}; it keeps what it held, tried again at the next publish`
  }
}

/** `published`: the latest forecast; `kept`: the last records, with `message` saying why. */
export type PublishOutcome = "published" | "kept" | "nothing_yet" | "not_leader"

export interface KedaPublisher {
  /** One publish, now (callers are serialised). */
  readonly publish: Effect.Effect<PublishOutcome, KedaPublishError>
  /** The same as an output of the poll: never fails, its failures are logged and counted. */
  readonly output: CacheOutputShape
}

/** The outputs KEDA adds to the poll's list: none, or the ConfigMap. */
export class KedaOutputs
  extends Context.Tag("carbon-poller/KedaOutputs")<KedaOutputs, ReadonlyArray<CacheOutputShape>>()
{}

/** Every call to the API server is bounded, as in cluster mode. */
const CALL_TIMEOUT = "5 seconds"

/** How often the refresher's state is looked at for a new forecast: in memory, no call. */
const REFRESH_CHECK = "1 minute"

/** The API server counts `binaryData` by its decoded bytes. */
const sizeOf = (contents: ExporterContents): number =>
  dataSize(contents.data) +
  Object.entries(contents.binaryData).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "base64"),
    0
  )

interface State {
  /**
   * The ConfigMap as last written, for the resourceVersion of the next replace; None: read it
   * first (at start, after a takeover, after a failed write that may or may not have landed).
   */
  readonly seen: Option.Option<V1ConfigMap>
  /** The records last published; None: take them from the ConfigMap (at start, after a takeover). */
  readonly slots: Option.Option<ReadonlyArray<Slot>>
  /** The zone's refresh the last publish saw (see `ZoneForecast.refresh`). */
  readonly refresh: string
}

/** The publisher and its two triggers beside the poll: new forecasts, and a takeover. */
export const makeKedaPublisher = (target: KedaTarget) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const forecasts = yield* Forecasts
    const leadership = yield* Leadership
    const ref = target.configMap
    const where = formatRef(ref)
    const state = yield* Ref.make<State>({ seen: Option.none(), slots: Option.none(), refresh: "" })
    const oneAtATime = yield* Effect.makeSemaphore(1)

    const refused = (error: KubeError) =>
      new KedaPublishError({ configMap: where, reason: error.reason, detail: error.message, cause: error })

    /** What the ConfigMap holds now, and the records this process knows, from memory or from it. */
    const current = (known: State) =>
      Effect.map(
        Option.isSome(known.seen) ? Effect.succeed(known.seen) : readConfigMap(kube, ref),
        (seen) => ({
          seen,
          slots: Option.getOrElse(
            Option.orElse(
              known.slots,
              () => Option.flatMap(seen, (cm) => recallSlots(cm.binaryData?.[RECORDS_KEY], target.zone))
            ),
            (): ReadonlyArray<Slot> => []
          )
        })
      )

    /**
     * A replace over what was seen; after someone else's edit or delete, once more over what is there
     * now, if this replica still leads (leadership was checked before the first attempt, maybe
     * several slow calls ago). None: it no longer leads, and wrote nothing more.
     */
    const write = (
      seen: Option.Option<V1ConfigMap>,
      contents: ExporterContents
    ): Effect.Effect<Option.Option<V1ConfigMap>, KubeError> =>
      writeConfigMap(kube, ref, seen, contents).pipe(
        Effect.map(Option.some),
        Effect.catchIf(
          (e) => e.reason === "Conflict" || e.reason === "NotFound",
          () =>
            Effect.gen(function*() {
              const current = yield* readConfigMap(kube, ref)
              if (!(yield* leadership.isLeader)) return Option.none()
              return Option.some(yield* writeConfigMap(kube, ref, current, contents))
            })
        )
      )

    const publishNow: Effect.Effect<PublishOutcome, KedaPublishError> = Effect.gen(function*() {
      if (!(yield* leadership.isLeader)) return "not_leader"
      const now = yield* Clock.currentTimeMillis
      const before = yield* Effect.mapError(current(yield* Ref.get(state)), refused)
      const forecast = zoneForecast(yield* forecasts.snapshot, target.zone, now)
      const slots = Option.match(forecast.slots, {
        onNone: () => before.slots,
        onSome: (fresh) => mergeSlots(before.slots, fresh, now)
      })
      if (slots.length === 0) {
        yield* Ref.set(state, { ...before, slots: Option.some(slots), refresh: forecast.refresh })
        return "nothing_yet"
      }
      const contents = renderExporter({ zone: target.zone, slots, now, message: forecast.message })
      const bytes = sizeOf(contents)
      if (bytes > CONFIGMAP_LIMIT_BYTES) {
        return yield* new KedaPublishError({
          configMap: where,
          reason: "TooLarge",
          detail: `${slots.length} records take ${bytes} bytes, above the ${CONFIGMAP_LIMIT_BYTES}-byte ConfigMap limit`
        })
      }
      const written = yield* write(before.seen, contents).pipe(
        // A failed write may or may not have landed: read before the next one (never a blind create).
        Effect.tapError(() => Ref.set(state, { seen: Option.none(), slots: Option.some(before.slots), refresh: "" })),
        Effect.mapError(refused)
      )
      if (Option.isNone(written)) {
        // Deposed during the publish: what is there is the new leader's; read it should this one lead again.
        yield* Ref.set(state, { seen: Option.none(), slots: Option.none(), refresh: "" })
        yield* Effect.logInfo(
          `KEDA ConfigMap ${where} not updated: this replica stopped leading during the publish; the new leader's records stay`
        ).pipe(Effect.annotateLogs({ event: "keda", configmap: where, reason: "not_leader" }))
        return "not_leader"
      }
      yield* Ref.set(state, { seen: written, slots: Option.some(slots), refresh: forecast.refresh })
      return forecast.message === "" ? "published" : "kept"
    })

    const publish = oneAtATime.withPermits(1)(publishNow)

    const publishLogged: Effect.Effect<void> = publish.pipe(
      Effect.tap((outcome) => Metrics.increment(Metrics.kedaPublishes, { outcome })),
      Effect.catchAll((error) =>
        Effect.zipRight(
          Metrics.increment(Metrics.kedaPublishes, { outcome: error.reason }),
          Effect.logWarning(error.message).pipe(
            Effect.annotateLogs({ event: "keda", configmap: where, reason: error.reason })
          )
        )
      ),
      Effect.asVoid
    )

    // A new forecast reaches the ConfigMap without waiting for the next poll.
    const refreshed = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const { refresh } = zoneForecast(yield* forecasts.snapshot, target.zone, now)
      if (refresh !== (yield* Ref.get(state)).refresh) yield* publishLogged
    })
    yield* Effect.forkScoped(Effect.forever(Effect.zipRight(Effect.sleep(REFRESH_CHECK), refreshed)))
    // A replica that leads again starts from what the ConfigMap holds now, not what it wrote then.
    yield* Effect.forkScoped(
      Stream.runForEach(
        leadership.becameLeader,
        () => Ref.update(state, (s) => ({ ...s, seen: Option.none(), slots: Option.none() }))
      )
    )

    const output: CacheOutputShape = {
      name: `KEDA ConfigMap ${where}`,
      publish: () => publishLogged,
      // It holds a forecast, not a cache: nothing to seed last-known-good values from.
      recall: Effect.succeedNone
    }
    return { publish, output } satisfies KedaPublisher
  })

/**
 * The KEDA outputs from the configuration. A Kubernetes client already in context is used (a
 * test's in-memory one); otherwise one is built, so a sidecar with API access needs no cluster mode.
 */
export const layer: Layer.Layer<KedaOutputs, InvalidConfig, KedaConfig | Forecasts | Leadership> = Layer
  .unwrapEffect(
    Effect.gen(function*() {
      const { keda } = yield* KedaConfig
      if (Option.isNone(keda)) return Layer.succeed(KedaOutputs, [])
      const target = keda.value
      const existing = yield* Effect.serviceOption(KubeClient)
      const client = Option.match(existing, {
        onSome: (kube) => Layer.succeed(KubeClient, kube),
        onNone: () =>
          Kube.layer({ kubeconfigPath: target.kubeconfigPath, callTimeout: CALL_TIMEOUT }).pipe(
            Layer.mapError((error) =>
              new InvalidConfig({
                issues: [{
                  variable: "KEDA_CONFIGMAP",
                  value: formatRef(target.configMap),
                  expected:
                    `needs the Kubernetes API (in a pod: its service account; outside: KUBECONFIG): ${error.message}`
                }]
              })
            )
          )
      })
      return Layer.scoped(KedaOutputs, Effect.map(makeKedaPublisher(target), (publisher) => [publisher.output])).pipe(
        Layer.provide(client)
      )
    })
  )
