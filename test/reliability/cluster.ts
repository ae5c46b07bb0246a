/**
 * Shared parts of the cluster-mode scenarios (10 and 12): the simulator, a stand-in Kubernetes API
 * server and a kubeconfig for it, started before a file's tests and closed after them, and what the
 * Lease and the ConfigMap hold. Apart from `support.ts` because it registers vitest hooks, which
 * `support.ts` cannot: the suite's global set-up (`summary.ts`) imports it outside any test file.
 */
import { Effect, Exit, Scope } from "effect"
import { afterAll, beforeAll } from "vitest"
import * as Simulator from "../../src/simulator/Simulator.js"
import { FakeKubeApiServer, kubeconfigFile } from "../support/kube/FakeKubeApiServer.js"

/** The Lease and the ConfigMap of `k8s-cluster.yaml`, in its namespace. */
export const CLUSTER = {
  namespace: "carbon-aware",
  lease: "carbon-poller-leader",
  configMap: "carbon-poller-cache"
} as const

/** What a cluster-mode scenario runs its replicas against; each part is there once `beforeAll` has run. */
export interface ClusterScenario {
  readonly simulator: Simulator.RunningSimulator
  /** The stand-in Kubernetes API server. */
  readonly kube: FakeKubeApiServer
  /** A kubeconfig file that points at `kube`. */
  readonly kubeconfig: string
  /** The Lease's holder, if any. */
  readonly holder: () => string | undefined
  /** The cache published in the ConfigMap, if any. */
  readonly published: () => string | undefined
}

/**
 * Starts, for the calling scenario file, the simulator (seeded with `seed`), a stand-in Kubernetes
 * API server and a kubeconfig for it, and closes them after the file's tests.
 */
export const clusterScenario = (seed: number): ClusterScenario => {
  let simulator: Simulator.RunningSimulator | undefined
  let kube: FakeKubeApiServer | undefined
  let kubeconfig: string | undefined
  const scope = Effect.runSync(Scope.make())
  beforeAll(async () => {
    simulator = await Simulator.startSimulator({ port: 0, seed })
    kube = await FakeKubeApiServer.start()
    kubeconfig = await Effect.runPromise(Scope.extend(kubeconfigFile(kube.url), scope))
  })
  afterAll(async () => {
    await simulator?.close()
    await kube?.close()
    await Effect.runPromise(Scope.close(scope, Exit.void))
  })
  const started = <A>(value: A | undefined, what: string): A => {
    if (value === undefined) throw new Error(`the cluster scenario's ${what} is used before beforeAll`)
    return value
  }
  const field = (kind: "leases" | "configmaps", name: string, part: string, key: string): string | undefined => {
    const object = started(kube, "API server").getObject(kind, CLUSTER.namespace, name)?.[part]
    const value = typeof object === "object" && object !== null ? Reflect.get(object, key) : undefined
    return typeof value === "string" ? value : undefined
  }
  return {
    get simulator() {
      return started(simulator, "simulator")
    },
    get kube() {
      return started(kube, "API server")
    },
    get kubeconfig() {
      return started(kubeconfig, "kubeconfig")
    },
    holder: () => {
      const holder = field("leases", CLUSTER.lease, "spec", "holderIdentity")
      return holder === "" ? undefined : holder
    },
    published: () => field("configmaps", CLUSTER.configMap, "data", "carbon_cache.json")
  }
}
