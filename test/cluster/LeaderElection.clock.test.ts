/**
 * Leader election on the TestClock, over an in-memory KubeClient: the step-down instant exactly,
 * with the default timings (lease 15 s, renew 5 s, retry 2 s, margin = retry).
 */
import { assert, describe, it } from "@effect/vitest"
import { Context, Deferred, Effect, Layer, Logger, LogLevel, TestClock } from "effect"
import * as LeaderElection from "../../src/cluster/LeaderElection.js"
import { memoryKubeClient } from "../support/kube/MemoryKubeClient.js"

const lease = { namespace: "carbon-aware", name: "carbon-poller-leader" }
const quiet = Logger.withMinimumLogLevel(LogLevel.Error)

const electionOver = (client: ReturnType<typeof memoryKubeClient>) =>
  Effect.map(
    Layer.build(LeaderElection.layer({ lease, identity: "pod-a" }).pipe(Layer.provide(client.layer))),
    (ctx) => Context.get(ctx, LeaderElection.LeaderElection)
  )

describe("LeaderElection on the TestClock", () => {
  it.scoped("a leader steps down exactly at the send time of its last renewal + lease - margin", () =>
    Effect.gen(function*() {
      const client = memoryKubeClient()
      client.controls.leases.set("carbon-aware/carbon-poller-leader", {
        metadata: { name: lease.name, namespace: lease.namespace },
        spec: {}
      })
      const election = yield* electionOver(client)
      yield* TestClock.adjust(0)
      assert.isTrue(yield* election.isLeader)
      // The renewal sent at 5 s takes 2 s to answer (read and replace, 1 s each) ...
      client.controls.block = Effect.sleep("1 second")
      yield* TestClock.adjust("7 seconds")
      // ... and every later one hangs. The deadline counts from 5 s, when it was sent: 5 + 15 - 2.
      client.controls.block = Effect.never
      yield* TestClock.adjust("10999 millis")
      assert.isTrue((yield* election.current).leader)
      assert.isTrue(yield* election.isLeader)
      yield* TestClock.adjust("1 millis")
      const state = yield* election.current
      assert.isFalse(state.leader)
      assert.strictEqual(state.at, 18_000)
      assert.isFalse(yield* election.isLeader)
    }).pipe(quiet))

  it.scoped("isLeader turns false at the deadline by the clock alone, even while the loop is stuck", () =>
    Effect.gen(function*() {
      const client = memoryKubeClient()
      client.controls.leases.set("carbon-aware/carbon-poller-leader", {
        metadata: { name: lease.name, namespace: lease.namespace },
        spec: {}
      })
      const election = yield* electionOver(client)
      yield* TestClock.adjust(0)
      // A call that cannot be interrupted (the deadline's timeout waits for it): the loop is stuck.
      const gate = yield* Deferred.make<void>()
      // Opened first at scope close, so the stuck loop can be stopped even if an assertion fails.
      yield* Effect.addFinalizer(() => Deferred.succeed(gate, undefined))
      client.controls.block = Effect.uninterruptible(Deferred.await(gate))
      yield* TestClock.adjust("13 seconds")
      assert.isTrue((yield* election.current).leader, "the loop has not noticed")
      assert.isFalse(yield* election.isLeader)
    }).pipe(quiet))
})
