/** Cluster mode's two variables through the loader: both or neither, and the identity and kubeconfig that go with them. */
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Option } from "effect"
import { loadConfiguration } from "../../src/config/Configuration.js"

const load = (env: Readonly<Record<string, string>>) =>
  loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
    Effect.withConfigProvider(
      ConfigProvider.fromMap(new Map(Object.entries({ ELECTRICITY_MAPS_API_KEY: "cluster-config-key", ...env })))
    ),
    Effect.provide(NodeFileSystem.layer),
    Effect.either
  )

describe("cluster mode configuration", () => {
  it.effect("is the sidecar when neither variable is set", () =>
    Effect.gen(function*() {
      const loaded = yield* load({})
      assert.isTrue(Either.isRight(loaded) && Option.isNone(loaded.right.cluster.cluster))
    }))

  it.effect("reads both, with POD_NAME as the identity and a blank KUBECONFIG as none", () =>
    Effect.gen(function*() {
      const loaded = yield* load({
        LEADER_ELECTION_LEASE: "carbon-aware/carbon-poller-leader",
        PUBLISH_CONFIGMAP: "carbon-aware/carbon-poller-cache",
        POD_NAME: "poller-0",
        KUBECONFIG: " "
      })
      const mode = Either.isRight(loaded) ? Option.getOrUndefined(loaded.right.cluster.cluster) : undefined
      assert.deepStrictEqual(mode?.lease, { namespace: "carbon-aware", name: "carbon-poller-leader" })
      assert.deepStrictEqual(mode?.configMap, { namespace: "carbon-aware", name: "carbon-poller-cache" })
      assert.strictEqual(mode?.identity, "poller-0")
      assert.isTrue(mode !== undefined && Option.isNone(mode.kubeconfigPath))
    }))

  it.effect("refuses one alone, naming the other", () =>
    Effect.gen(function*() {
      const loaded = yield* load({ LEADER_ELECTION_LEASE: "carbon-aware/carbon-poller-leader" })
      const issues = Either.isLeft(loaded) ? loaded.left.issues : []
      assert.deepStrictEqual(issues.map((issue) => issue.variable), ["PUBLISH_CONFIGMAP"])
      assert.match(issues[0]?.expected ?? "", /set both, or neither for the sidecar/)
    }))
})
