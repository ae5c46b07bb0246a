/**
 * The published cache: one key of one ConfigMap, written by the leader and read by everyone.
 *
 * Writes are optimistic: a replace carries the `resourceVersion` last seen, so a write based on a
 * stale view (a deposed leader's late publish) is refused with 409 and reported, never forced or
 * merged; the store then re-reads, so the next publish is based on what is really there. A missing
 * ConfigMap is created. A cache above the API's 1 MiB ConfigMap limit is refused whole, never
 * published cut short.
 */
import type { V1ConfigMap } from "@kubernetes/client-node"
import { Context, Data, type Duration, Effect, Layer, Option, Ref, Schedule, Stream } from "effect"
import { formatRef, type ObjectRef } from "../config/ClusterConfig.js"
import { KubeClient, type KubeError } from "./KubeClient.js"

export const CACHE_KEY = "carbon_cache.json"

/** The API server's limit on a ConfigMap's data: the sum of its keys' and values' byte lengths. */
export const CONFIGMAP_LIMIT_BYTES = 1024 * 1024

export class ConfigMapTooLarge extends Data.TaggedError("ConfigMapTooLarge")<{
  readonly configMap: string
  readonly bytes: number
  readonly limit: number
}> {
  override get message(): string {
    return `cache not published to ConfigMap ${this.configMap}: its data would be ${this.bytes} bytes, above the ${this.limit}-byte ConfigMap limit (publish fewer zones or turn forecasts off)`
  }
}

export interface Published {
  readonly contents: string
  readonly resourceVersion: string
}

/** The ConfigMap's data size as the API server counts it. */
export const dataSize = (data: Readonly<Record<string, string>>): number =>
  Object.entries(data).reduce(
    (sum, [key, value]) => sum + Buffer.byteLength(key, "utf8") + Buffer.byteLength(value, "utf8"),
    0
  )

type Kube = Context.Tag.Service<KubeClient>

/** The ConfigMap as it is now; None when there is none. */
export const readConfigMap = (kube: Kube, ref: ObjectRef): Effect.Effect<Option.Option<V1ConfigMap>, KubeError> =>
  kube.configMaps.read(ref).pipe(
    Effect.map(Option.some),
    Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeedNone)
  )

/**
 * Writes `contents` over the ConfigMap as last seen: a replace carrying its resourceVersion (so a
 * write based on a stale view is refused, never forced), or a create when none was seen.
 */
export const writeConfigMap = (
  kube: Kube,
  ref: ObjectRef,
  seen: Option.Option<V1ConfigMap>,
  contents: Pick<V1ConfigMap, "data" | "binaryData">
): Effect.Effect<V1ConfigMap, KubeError> =>
  Option.match(seen, {
    onNone: () =>
      kube.configMaps.create(ref, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name: ref.name, namespace: ref.namespace },
        ...contents
      }),
    onSome: (current) => kube.configMaps.replace(ref, { ...current, ...contents })
  })

export class ConfigMapStore extends Context.Tag("carbon-poller/ConfigMapStore")<
  ConfigMapStore,
  {
    /** The published cache and its resourceVersion; None when the ConfigMap or the key is missing. */
    readonly read: Effect.Effect<Option.Option<Published>, KubeError>
    /** As `read`, without moving the version the next publish is based on. */
    readonly peek: Effect.Effect<Option.Option<Published>, KubeError>
    /** Replaces the cache key, based on the last version seen; creates the ConfigMap when missing. */
    readonly publish: (contents: string) => Effect.Effect<void, KubeError | ConfigMapTooLarge>
    /**
     * For followers: reads at once and then every `interval`, emitting the contents whenever they
     * differ from the last emitted. Failed reads are logged and skipped; the stream never fails.
     */
    readonly follow: (interval: Duration.DurationInput) => Stream.Stream<Published>
  }
>() {}

export const layer = (ref: ObjectRef): Layer.Layer<ConfigMapStore, never, KubeClient> =>
  Layer.effect(ConfigMapStore, makeConfigMapStore(ref))

const makeConfigMapStore = (ref: ObjectRef) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const where = formatRef(ref)
    /** The ConfigMap as last read or written; None before the first read, or when it is missing. */
    const lastSeen = yield* Ref.make<Option.Option<V1ConfigMap>>(Option.none())

    const fetch: Effect.Effect<Option.Option<V1ConfigMap>, KubeError> = readConfigMap(kube, ref).pipe(
      Effect.tap((seen) => Ref.set(lastSeen, seen))
    )

    const read = Effect.map(fetch, Option.flatMap(publishedOf))

    /**
     * A look that does not move the version the next publish is based on: what a follower mirrors
     * must never turn a deposed leader's late write into one based on the newest version.
     */
    const peek: Effect.Effect<Option.Option<Published>, KubeError> = Effect.map(
      readConfigMap(kube, ref),
      Option.flatMap(publishedOf)
    )

    const publish = (contents: string): Effect.Effect<void, KubeError | ConfigMapTooLarge> =>
      Effect.gen(function*() {
        const known = yield* Ref.get(lastSeen)
        const current = Option.isSome(known) ? known : yield* fetch
        const data = { ...Option.getOrUndefined(current)?.data, [CACHE_KEY]: contents }
        const bytes = dataSize(data)
        if (bytes > CONFIGMAP_LIMIT_BYTES) {
          return yield* new ConfigMapTooLarge({ configMap: where, bytes, limit: CONFIGMAP_LIMIT_BYTES })
        }
        // The other keys are kept: the cache key is all this store owns.
        const written = yield* writeConfigMap(kube, ref, current, { data })
        yield* Ref.set(lastSeen, Option.some(written))
      }).pipe(
        // Someone else wrote first (or created it): learn the current version, report, never force.
        Effect.tapError((e) => (e._tag === "KubeError" && e.reason === "Conflict" ? Effect.ignore(fetch) : Effect.void))
      )

    const follow = (interval: Duration.DurationInput): Stream.Stream<Published> =>
      Stream.repeatEffectWithSchedule(
        peek.pipe(
          Effect.tapError((e) =>
            Effect.logWarning(`cannot read the published cache from ConfigMap ${where}: ${e.message}`)
          ),
          Effect.orElseSucceed(() => Option.none<Published>())
        ),
        Schedule.spaced(interval)
      ).pipe(
        Stream.filterMap((found) => found),
        Stream.changesWith((a, b) => a.contents === b.contents)
      )

    return { read, peek, publish, follow }
  })

const publishedOf = (cm: V1ConfigMap): Option.Option<Published> => {
  const contents = cm.data?.[CACHE_KEY]
  const resourceVersion = cm.metadata?.resourceVersion
  return contents === undefined || resourceVersion === undefined
    ? Option.none()
    : Option.some({ contents, resourceVersion })
}
