/**
 * A KubeClient kept in memory, for tests that run on the TestClock (the HTTP stand-in needs real
 * time). Same rules as the API server for what cluster mode uses: resourceVersion on every object,
 * Conflict on a stale one, NotFound for a missing one, AlreadyExists (Conflict) on create. A gate
 * lets a test make every call block until it is opened again, or fail as the real client would.
 */
import type { V1ConfigMap, V1Lease, V1MicroTime } from "@kubernetes/client-node"
import { Effect, Layer } from "effect"
import { KubeClient, KubeError, type ObjectApi } from "../../../src/cluster/KubeClient.js"
import { formatRef, type ObjectRef } from "../../../src/config/ClusterConfig.js"

export interface MemoryKubeControls {
  /** While set, every call first runs this effect (e.g. `Effect.never`, a Deferred to await, a `KubeError`). */
  block: Effect.Effect<void, KubeError> | undefined
  readonly leases: Map<string, V1Lease>
  /** Stored as the API server holds them, by `namespace/name`: a test may edit or delete one as another writer. */
  readonly configMaps: Map<string, V1ConfigMap>
}

/** The MicroTime wire form, without loading the client library. */
class MemoryMicroTime extends Date {
  override toISOString(): string {
    return super.toISOString().replace(/Z$/, "000Z")
  }
}

const objectApi = <A extends { metadata?: { resourceVersion?: string } }>(
  kind: string,
  store: Map<string, A>,
  controls: MemoryKubeControls,
  nextVersion: () => string
): ObjectApi<A> => {
  const gate = <T>(effect: Effect.Effect<T, KubeError>) =>
    Effect.suspend(() => (controls.block === undefined ? effect : Effect.zipRight(controls.block, effect)))
  const error = (reason: "Conflict" | "NotFound", status: number, operation: string) =>
    new KubeError({ reason, operation, status, detail: `${reason} (memory)` })
  const stamp = (body: A): A =>
    structuredClone({ ...body, metadata: { ...body.metadata, resourceVersion: nextVersion() } })
  return {
    read: (ref) =>
      gate(Effect.suspend(() => {
        const found = store.get(formatRef(ref))
        return found === undefined
          ? Effect.fail(error("NotFound", 404, `read ${kind}`))
          : Effect.succeed(structuredClone(found))
      })),
    create: (ref, body) =>
      gate(Effect.suspend(() => {
        if (store.has(formatRef(ref))) return Effect.fail(error("Conflict", 409, `create ${kind}`))
        const stored = stamp(body)
        store.set(formatRef(ref), stored)
        return Effect.succeed(structuredClone(stored))
      })),
    replace: (ref: ObjectRef, body) =>
      gate(Effect.suspend(() => {
        const current = store.get(formatRef(ref))
        if (current === undefined) return Effect.fail(error("NotFound", 404, `replace ${kind}`))
        if (body.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
          return Effect.fail(error("Conflict", 409, `replace ${kind}`))
        }
        const stored = stamp(body)
        store.set(formatRef(ref), stored)
        return Effect.succeed(structuredClone(stored))
      }))
  }
}

export const memoryKubeClient = (): {
  readonly layer: Layer.Layer<KubeClient>
  readonly controls: MemoryKubeControls
} => {
  let version = 0
  const nextVersion = () => String(++version)
  const controls: MemoryKubeControls = { block: undefined, leases: new Map(), configMaps: new Map() }
  const layer = Layer.succeed(KubeClient, {
    leases: objectApi("lease", controls.leases, controls, nextVersion),
    configMaps: objectApi("configmap", controls.configMaps, controls, nextVersion),
    microTime: (epochMillis: number): V1MicroTime => new MemoryMicroTime(epochMillis)
  })
  return { layer, controls }
}
