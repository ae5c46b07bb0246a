/**
 * Leader election against the stand-in API server through the real client. Short durations (lease
 * 2 s, renew 300 ms, retry 150 ms) and live time, since the HTTP parts need a real clock; the only
 * time bounds asserted are the protocol's own (not before expiry, before the lease would lapse,
 * sooner than expiry after a release).
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Context, Duration, Effect, Exit, Layer, Logger, LogLevel, Option, Scope, Stream } from "effect"
import type { KubeClient, KubeError } from "../../src/cluster/KubeClient.js"
import * as LeaderElection from "../../src/cluster/LeaderElection.js"
import { parseTime } from "../../src/cluster/LeaseRules.js"
import { parseObjectRef } from "../../src/config/ClusterConfig.js"
import { manifestEnv } from "../support/kube/clusterManifest.js"
import { type FakeKubeApiServer, microTime } from "../support/kube/FakeKubeApiServer.js"
import { standIn } from "../support/kube/standIn.js"

const lease = Option.getOrThrow(parseObjectRef(manifestEnv("LEADER_ELECTION_LEASE")))
const fast: Omit<LeaderElection.LeaderElectionSettings, "identity"> = {
  lease,
  leaseDurationSeconds: 2,
  renewInterval: "300 millis",
  retryInterval: "150 millis",
  stepDownMargin: "300 millis"
}

/** The Lease as k8s-cluster.yaml ships it: present, empty. */
const seedEmptyLease = (fake: FakeKubeApiServer) => fake.putObject("leases", lease.namespace, lease.name, { spec: {} })

const leaseSpec = (fake: FakeKubeApiServer): Record<string, unknown> => {
  const spec = fake.getObject("leases", lease.namespace, lease.name)?.["spec"]
  return typeof spec === "object" && spec !== null ? { ...spec } : {}
}

interface Candidate {
  readonly election: Context.Tag.Service<LeaderElection.LeaderElection>
  /** Closes the candidate's scope, as SIGTERM would. */
  readonly stop: Effect.Effect<void>
}

const candidate = (
  client: Layer.Layer<KubeClient, KubeError>,
  identity: string,
  overrides: Partial<LeaderElection.LeaderElectionSettings> = {}
) =>
  Effect.gen(function*() {
    const scope = yield* Scope.make()
    yield* Effect.addFinalizer(() => Scope.close(scope, Exit.void))
    const context = yield* Layer.buildWithScope(
      LeaderElection.layer({ ...fast, identity, ...overrides }).pipe(Layer.provide(client)),
      scope
    ).pipe(Effect.orDie)
    const stop = Scope.close(scope, Exit.void)
    return { election: Context.get(context, LeaderElection.LeaderElection), stop } satisfies Candidate
  })

/** The first state matching `accept`, failing the test after `within`. */
const awaitState = (
  c: Candidate,
  accept: (l: LeaderElection.ElectionState) => boolean,
  within: Duration.DurationInput = "5 seconds"
) =>
  c.election.changes.pipe(
    Stream.filter(accept),
    Stream.runHead,
    Effect.flatten,
    Effect.timeoutFail({
      duration: within,
      onTimeout: () => new Error(`no matching leadership state within ${Duration.format(within)}`)
    }),
    Effect.orDie
  )

const isLeading = (l: LeaderElection.ElectionState) => l.leader

/** The election logs every step; keep test output to errors. */
const quiet = Logger.withMinimumLogLevel(LogLevel.Error)

describe("LeaderElection", () => {
  it.live("acquires a free Lease and writes itself in with MicroTime times", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      seedEmptyLease(fake)
      const a = yield* candidate(client, "pod-a")
      const state = yield* awaitState(a, isLeading)
      assert.strictEqual(state.holder, "pod-a")
      assert.isTrue(yield* a.election.isLeader)
      const spec = leaseSpec(fake)
      assert.strictEqual(spec["holderIdentity"], "pod-a")
      assert.strictEqual(spec["leaseDurationSeconds"], 2)
      assert.strictEqual(spec["leaseTransitions"], 1)
      assert.match(String(spec["renewTime"]), /\.\d{6}Z$/)
      assert.match(String(spec["acquireTime"]), /\.\d{6}Z$/)
      assert.strictEqual(yield* a.election.transitions, 1)
      assert.strictEqual(fake.unconditionalWrites, 0)
    }).pipe(Effect.scoped, quiet))

  it.live("creates the Lease when it is missing and the Role allows create", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({
        rules: [{ apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["get", "update", "create"] }]
      })
      const a = yield* candidate(client, "pod-a")
      yield* awaitState(a, isLeading)
      assert.strictEqual(leaseSpec(fake)["holderIdentity"], "pod-a")
      assert.strictEqual(leaseSpec(fake)["leaseTransitions"], 0)
    }).pipe(Effect.scoped, quiet))

  it.live("stays follower when the Role forbids create and the Lease is missing", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      const a = yield* candidate(client, "pod-a")
      yield* Effect.sleep("600 millis")
      assert.isFalse(yield* a.election.isLeader)
      assert.isAbove(fake.rejectedWrites, 1)
      assert.isUndefined(fake.getObject("leases", lease.namespace, lease.name))
    }).pipe(Effect.scoped, quiet))

  it.live("a second candidate stays follower while the leader holds and renews the Lease", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      seedEmptyLease(fake)
      const a = yield* candidate(client, "pod-a")
      yield* awaitState(a, isLeading)
      const firstRenew = parseTime(leaseSpec(fake)["renewTime"]) ?? 0
      const b = yield* candidate(client, "pod-b")
      yield* awaitState(b, (l) => l.holder === "pod-a")
      // Longer than the lease duration: without renewals b would have taken over by now.
      yield* Effect.sleep("2500 millis")
      assert.isFalse(yield* b.election.isLeader)
      assert.isTrue(yield* a.election.isLeader)
      assert.strictEqual(yield* b.election.transitions, 0)
      assert.isAbove(parseTime(leaseSpec(fake)["renewTime"]) ?? 0, firstRenew)
      assert.strictEqual(leaseSpec(fake)["holderIdentity"], "pod-a")
    }).pipe(Effect.scoped, quiet))

  it.live("of two candidates racing for a free Lease exactly one leads", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      seedEmptyLease(fake)
      const [a, b] = yield* Effect.all([candidate(client, "pod-a"), candidate(client, "pod-b")], { concurrency: 2 })
      yield* Effect.raceFirst(awaitState(a, isLeading), awaitState(b, isLeading))
      yield* Effect.sleep("1 second")
      const leaders = [yield* a.election.isLeader, yield* b.election.isLeader].filter(Boolean)
      assert.strictEqual(leaders.length, 1)
      assert.strictEqual(fake.unconditionalWrites, 0)
    }).pipe(Effect.scoped, quiet))

  it.live("takes over a Lease whose holder stopped renewing, but not before it lapses", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      const now = yield* Clock.currentTimeMillis
      fake.putObject("leases", lease.namespace, lease.name, {
        spec: {
          holderIdentity: "pod-gone",
          leaseDurationSeconds: 1,
          renewTime: microTime(now),
          acquireTime: microTime(now),
          leaseTransitions: 4
        }
      })
      const b = yield* candidate(client, "pod-b")
      const took = yield* awaitState(b, isLeading)
      assert.isAtLeast(took.at, now + 1000)
      const spec = leaseSpec(fake)
      assert.strictEqual(spec["holderIdentity"], "pod-b")
      assert.strictEqual(spec["leaseTransitions"], 5)
    }).pipe(Effect.scoped, quiet))

  it.live("on scope close the leader releases the Lease and a follower takes it long before it would lapse", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      seedEmptyLease(fake)
      // A long lease: without the release, b would wait 10 s.
      const long: Partial<LeaderElection.LeaderElectionSettings> = {
        leaseDurationSeconds: 10,
        stepDownMargin: "1 second"
      }
      const a = yield* candidate(client, "pod-a", long)
      yield* awaitState(a, isLeading)
      const b = yield* candidate(client, "pod-b", long)
      yield* awaitState(b, (l) => l.holder === "pod-a")
      const stoppedAt = yield* Clock.currentTimeMillis
      yield* a.stop
      const released = leaseSpec(fake)
      assert.isUndefined(released["holderIdentity"])
      assert.strictEqual(released["leaseDurationSeconds"], 1)
      const took = yield* awaitState(b, isLeading, "3 seconds")
      assert.isBelow(took.at - stoppedAt, 10_000)
      assert.strictEqual(leaseSpec(fake)["holderIdentity"], "pod-b")
    }).pipe(Effect.scoped, quiet))

  it.live("a leader that cannot reach the API server steps down before its lease would lapse", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      seedEmptyLease(fake)
      const a = yield* candidate(client, "pod-a")
      yield* awaitState(a, isLeading)
      yield* Effect.promise(() => fake.stop())
      // The last renewal the server accepted: others may take over at renewTime + 2 s.
      const lapses = (parseTime(leaseSpec(fake)["renewTime"]) ?? 0) + 2000
      const down = yield* awaitState(a, (l) => !l.leader)
      assert.isBelow(down.at, lapses)
      assert.isFalse(yield* a.election.isLeader)
      assert.strictEqual(yield* a.election.transitions, 2)
      yield* Effect.promise(() => fake.resume())
      yield* awaitState(a, isLeading)
    }).pipe(Effect.scoped, quiet))

  it.live("a leader whose renewals hang steps down before the lease lapses, even with a long call timeout", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({}, "30 seconds")
      seedEmptyLease(fake)
      const a = yield* candidate(client, "pod-a")
      yield* awaitState(a, isLeading)
      fake.hang()
      const lapses = (parseTime(leaseSpec(fake)["renewTime"]) ?? 0) + 2000
      const down = yield* awaitState(a, (l) => !l.leader)
      assert.isBelow(down.at, lapses)
      // isLeader reads the clock itself: false from the deadline on, whatever the loop is doing.
      assert.isFalse(yield* a.election.isLeader)
    }).pipe(Effect.scoped, quiet))

  it.live("releasing at shutdown is bounded even when the API server hangs", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({}, "30 seconds")
      seedEmptyLease(fake)
      const a = yield* candidate(client, "pod-a", { releaseTimeout: "300 millis" })
      yield* awaitState(a, isLeading)
      fake.hang()
      const start = yield* Clock.currentTimeMillis
      yield* a.stop
      // Far below the 30 s call timeout: shutdown does not wait on the API server.
      assert.isBelow((yield* Clock.currentTimeMillis) - start, 5000)
    }).pipe(Effect.scoped, quiet))
})
