/**
 * Cluster mode: one poller for a whole cluster. Set both `LEADER_ELECTION_LEASE` and
 * `PUBLISH_CONFIGMAP` (each `namespace/name`) and the replicas elect a leader over that Lease; only
 * the leader calls the provider and publishes the cache into that ConfigMap, and every replica
 * mirrors the ConfigMap into `CACHE_FILE`. Unset, the service is a sidecar as before.
 */
import { Config, ConfigError, Context, Either, Option } from "effect"
import { hostname } from "node:os"

/** A namespaced object's address, as written in the settings: `namespace/name`. */
export interface ObjectRef {
  readonly namespace: string
  readonly name: string
}

export const formatRef = (ref: ObjectRef): string => `${ref.namespace}/${ref.name}`

/** Parses `namespace/name`; both parts must be DNS-1123 names. */
export const parseObjectRef = (text: string): Option.Option<ObjectRef> => {
  const match = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\/([a-z0-9]([-.a-z0-9]*[a-z0-9])?)$/.exec(text.trim())
  const namespace = match?.[1]
  const name = match?.[3]
  return namespace === undefined || name === undefined ? Option.none() : Option.some({ namespace, name })
}

export const LEASE_VARIABLE = "LEADER_ELECTION_LEASE"
export const CONFIGMAP_VARIABLE = "PUBLISH_CONFIGMAP"

export interface ClusterMode {
  readonly lease: ObjectRef
  readonly configMap: ObjectRef
  /** This replica's name in the Lease: `POD_NAME` (downward API), else the host name. */
  readonly identity: string
  /** A kubeconfig for a run outside the cluster; none inside a pod (the service account is used). */
  readonly kubeconfigPath: Option.Option<string>
}

export interface ClusterSettings {
  /** None: the per-pod sidecar. */
  readonly cluster: Option.Option<ClusterMode>
}

export class ClusterConfig extends Context.Tag("carbon-poller/ClusterConfig")<ClusterConfig, ClusterSettings>() {}

/** An optional `namespace/name` variable. */
export const objectRef = (name: string) =>
  Config.string(name).pipe(
    Config.mapOrFail((raw) =>
      Option.match(parseObjectRef(raw.trim()), {
        onNone: () => Either.left(ConfigError.InvalidData([], "must be namespace/name, e.g. carbon/carbon-poller")),
        onSome: Either.right
      })
    ),
    Config.option
  )

/**
 * Two variables that only work together: both set (Some of both), neither (None), or one alone,
 * refused as missing the other with `why`.
 */
export const bothOrNeither = <A, B>(
  first: { readonly variable: string; readonly value: Option.Option<A> },
  second: { readonly variable: string; readonly value: Option.Option<B> },
  why: string
): Either.Either<Option.Option<readonly [A, B]>, ConfigError.ConfigError> => {
  if (Option.isSome(first.value) && Option.isSome(second.value)) {
    return Either.right(Option.some([first.value.value, second.value.value] as const))
  }
  if (Option.isNone(first.value) && Option.isNone(second.value)) return Either.right(Option.none())
  return Either.left(ConfigError.MissingData([Option.isNone(first.value) ? first.variable : second.variable], why))
}

/** `KUBECONFIG` as a path; unset or blank: the client's default (in a pod, the service account). */
export const kubeconfigPathOf = (kubeconfig: Option.Option<string>): Option.Option<string> =>
  Option.filter(kubeconfig, (path) => path.trim() !== "")

export const clusterConfig: Config.Config<ClusterSettings> = Config.all({
  lease: objectRef(LEASE_VARIABLE),
  configMap: objectRef(CONFIGMAP_VARIABLE),
  podName: Config.option(Config.string("POD_NAME")),
  kubeconfig: Config.option(Config.string("KUBECONFIG"))
}).pipe(
  Config.mapOrFail((
    { configMap, kubeconfig, lease, podName }
  ): Either.Either<ClusterSettings, ConfigError.ConfigError> =>
    Either.map(
      bothOrNeither(
        { variable: LEASE_VARIABLE, value: lease },
        { variable: CONFIGMAP_VARIABLE, value: configMap },
        `cluster mode needs both ${LEASE_VARIABLE} and ${CONFIGMAP_VARIABLE} (namespace/name each); set both, or neither for the sidecar`
      ),
      (both) => ({
        cluster: Option.map(both, ([lease, configMap]) => ({
          lease,
          configMap,
          identity: Option.getOrElse(Option.filter(podName, (name) => name.trim() !== ""), () => hostname()),
          kubeconfigPath: kubeconfigPathOf(kubeconfig)
        }))
      })
    )
  )
)
