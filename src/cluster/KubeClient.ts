/**
 * Typed access to the two Kubernetes objects cluster mode uses: one Lease (leader election) and one
 * ConfigMap (the published cache). Every call has a timeout (the client has none of its own) and
 * every failure becomes one `KubeError` whose `reason` says what the caller can do about it.
 *
 * The client library is loaded with a dynamic `import()` inside the layer, so a process that never
 * builds this layer (the sidecar) never evaluates it: it costs ~0.4 s and ~75 MiB at start-up. The
 * `import type` lines below are erased at compile time. In a single-file bundle its ~15 MB of code
 * is still read and parsed at every start; bundling with code splitting puts it in a chunk of its
 * own that only cluster mode loads.
 */
import type * as KubernetesClient from "@kubernetes/client-node"
import type {
  ApiException,
  ConfigurationOptions,
  ObservableMiddleware,
  V1ConfigMap,
  V1Lease,
  V1MicroTime
} from "@kubernetes/client-node"
import { Context, Data, Duration, Effect, Layer, Option, Schema } from "effect"

export type KubeErrorReason = "Conflict" | "NotFound" | "Forbidden" | "Timeout" | "Unreachable" | "Other"

export class KubeError extends Data.TaggedError("KubeError")<{
  readonly reason: KubeErrorReason
  /** What was attempted, e.g. `replace lease carbon/carbon-poller-leader`. */
  readonly operation: string
  /** The HTTP status, when the API server answered. */
  readonly status: number | undefined
  /** The API server's own message (from its `Status` body), or the transport error's. */
  readonly detail: string
}> {
  override get message(): string {
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return `Kubernetes API: ${this.operation} failed: ${this.reason}${status}: ${this.detail}`
  }
}

import { formatRef, type ObjectRef } from "../config/ClusterConfig.js"

export interface ObjectApi<A> {
  readonly read: (ref: ObjectRef) => Effect.Effect<A, KubeError>
  readonly create: (ref: ObjectRef, body: A) => Effect.Effect<A, KubeError>
  /** An update: the server refuses it with 409 when `body.metadata.resourceVersion` is stale. */
  readonly replace: (ref: ObjectRef, body: A) => Effect.Effect<A, KubeError>
}

export class KubeClient extends Context.Tag("carbon-poller/KubeClient")<
  KubeClient,
  {
    readonly leases: ObjectApi<V1Lease>
    readonly configMaps: ObjectApi<V1ConfigMap>
    /**
     * A Lease time. A plain `Date` would go out with milliseconds, which the API server refuses;
     * this one serialises as microsecond RFC 3339 (`…T00:00:00.123000Z`).
     */
    readonly microTime: (epochMillis: number) => V1MicroTime
  }
>() {}

export interface KubeClientSettings {
  /**
   * A kubeconfig file (the value of KUBECONFIG, read by the config layer). None: the client's own
   * default search, which inside a pod is the service account's token and CA.
   */
  readonly kubeconfigPath: Option.Option<string>
  /** Bound on each API call, connection included. */
  readonly callTimeout: Duration.DurationInput
}

// A type-only import (erased at build time): the module itself is loaded lazily, in cluster mode only.
type ClientModule = typeof KubernetesClient

// ---------------------------------------------------------------------------------------------
// Errors

const StatusBody = Schema.parseJson(Schema.Struct({ message: Schema.optional(Schema.String) }))
const decodeStatusBody = Schema.decodeUnknownOption(StatusBody)

/** The `message` of the API server's `Status` JSON, else the raw body, else nothing. */
export const statusMessage = (body: unknown): string | undefined => {
  if (typeof body !== "string" || body === "") return undefined
  return Option.match(decodeStatusBody(body), {
    onNone: () => body.slice(0, 200),
    onSome: (status) => status.message ?? body.slice(0, 200)
  })
}

export const reasonOfStatus = (status: number): KubeErrorReason => {
  switch (status) {
    case 409:
      return "Conflict"
    case 404:
      return "NotFound"
    case 403:
      return "Forbidden"
    default:
      return "Other"
  }
}

const isApiException = (u: unknown, apiException: ClientModule["ApiException"]): u is ApiException<unknown> =>
  u instanceof apiException && "code" in u && typeof u.code === "number"

const describeCause = (u: unknown): string => (u instanceof Error ? u.message : String(u))

// ---------------------------------------------------------------------------------------------
// Layer

const loadClientModule: Effect.Effect<ClientModule, KubeError> = Effect.tryPromise({
  try: () => import("@kubernetes/client-node"),
  catch: (cause) =>
    new KubeError({
      reason: "Other",
      operation: "load @kubernetes/client-node",
      status: undefined,
      detail: describeCause(cause)
    })
})

export const layer = (settings: KubeClientSettings): Layer.Layer<KubeClient, KubeError> =>
  Layer.effect(
    KubeClient,
    Effect.gen(function*() {
      const k8s = yield* loadClientModule
      const config = yield* Effect.try({
        try: () => {
          const kc = new k8s.KubeConfig()
          Option.match(settings.kubeconfigPath, {
            onNone: () => kc.loadFromDefault(),
            onSome: (file) => kc.loadFromFile(file)
          })
          return kc
        },
        catch: (cause) =>
          new KubeError({
            reason: "Other",
            operation: "load kubeconfig",
            status: undefined,
            detail: describeCause(cause)
          })
      })
      const coordination = config.makeApiClient(k8s.CoordinationV1Api)
      const core = config.makeApiClient(k8s.CoreV1Api)
      const timeout = Duration.decode(settings.callTimeout)

      // The object-parameter API takes the library's own observable-style middleware.
      const abortOn = (signal: AbortSignal): ObservableMiddleware => ({
        pre: (context) => {
          context.setSignal(signal)
          return new k8s.Observable(Promise.resolve(context))
        },
        post: (response) => new k8s.Observable(Promise.resolve(response))
      })

      /**
       * Runs one client call with the timeout. The abort signal reaches the HTTP request through a
       * per-call middleware, so a timed-out call does not linger on the socket.
       */
      const call = <A>(
        operation: string,
        run: (options: ConfigurationOptions) => Promise<A>
      ): Effect.Effect<A, KubeError> =>
        Effect.tryPromise({
          try: (signal) => run({ middleware: [abortOn(signal)], middlewareMergeStrategy: "append" }),
          catch: (cause) =>
            isApiException(cause, k8s.ApiException)
              ? new KubeError({
                reason: reasonOfStatus(cause.code),
                operation,
                status: cause.code,
                detail: statusMessage(cause.body) ?? `HTTP ${cause.code}`
              })
              : new KubeError({ reason: "Unreachable", operation, status: undefined, detail: describeCause(cause) })
        }).pipe(
          // A caller in an uninterruptible region (a finalizer) still gets its timeout.
          Effect.interruptible,
          Effect.timeoutFail({
            duration: timeout,
            onTimeout: () =>
              new KubeError({
                reason: "Timeout",
                operation,
                status: undefined,
                detail: `no answer within ${Duration.format(timeout)}`
              })
          })
        )

      const leases: ObjectApi<V1Lease> = {
        read: (ref) =>
          call(`read lease ${formatRef(ref)}`, (o) =>
            coordination.readNamespacedLease({ name: ref.name, namespace: ref.namespace }, o)),
        create: (ref, body) =>
          call(`create lease ${formatRef(ref)}`, (o) =>
            coordination.createNamespacedLease({ namespace: ref.namespace, body }, o)),
        replace: (ref, body) =>
          call(
            `replace lease ${formatRef(ref)}`,
            (o) =>
              coordination.replaceNamespacedLease({ name: ref.name, namespace: ref.namespace, body }, o)
          )
      }
      const configMaps: ObjectApi<V1ConfigMap> = {
        read: (ref) =>
          call(`read configmap ${formatRef(ref)}`, (o) =>
            core.readNamespacedConfigMap({ name: ref.name, namespace: ref.namespace }, o)),
        create: (ref, body) =>
          call(`create configmap ${formatRef(ref)}`, (o) =>
            core.createNamespacedConfigMap({ namespace: ref.namespace, body }, o)),
        replace: (ref, body) =>
          call(
            `replace configmap ${formatRef(ref)}`,
            (o) =>
              core.replaceNamespacedConfigMap({ name: ref.name, namespace: ref.namespace, body }, o)
          )
      }
      const microTime = (epochMillis: number): V1MicroTime =>
        new k8s.V1MicroTime(epochMillis)
      return { leases, configMaps, microTime }
    })
  )
