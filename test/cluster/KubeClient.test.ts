/**
 * The KubeClient layer against the stand-in API server, through the real @kubernetes/client-node:
 * every failure arrives as one KubeError with the right reason, status and server message.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { KubeClient, reasonOfStatus, statusMessage } from "../../src/cluster/KubeClient.js"
import { parseObjectRef } from "../../src/config/ClusterConfig.js"
import { manifestEnv } from "../support/kube/clusterManifest.js"
import { standIn } from "../support/kube/standIn.js"

const leaseRef = Option.getOrThrow(parseObjectRef(manifestEnv("LEADER_ELECTION_LEASE")))
const cmRef = Option.getOrThrow(parseObjectRef(manifestEnv("PUBLISH_CONFIGMAP")))
const allowAll = [{ apiGroups: ["*"], resources: ["*"], verbs: ["*"] }]

describe("KubeClient", () => {
  it.live("reads, creates and replaces with resourceVersion; stale writes are Conflict", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({ rules: allowAll })
      yield* Effect.gen(function*() {
        const kube = yield* KubeClient
        const missing = yield* Effect.either(kube.configMaps.read(cmRef))
        assert.isTrue(Either.isLeft(missing) && missing.left.reason === "NotFound" && missing.left.status === 404)
        if (Either.isLeft(missing)) assert.match(missing.left.detail, /not found/)

        const created = yield* kube.configMaps.create(cmRef, {
          metadata: { name: cmRef.name, namespace: cmRef.namespace },
          data: { a: "1" }
        })
        const rv = created.metadata?.resourceVersion
        assert.isString(rv)
        const updated = yield* kube.configMaps.replace(cmRef, { ...created, data: { a: "2" } })
        assert.notStrictEqual(updated.metadata?.resourceVersion, rv)

        const stale = yield* Effect.either(kube.configMaps.replace(cmRef, { ...created, data: { a: "3" } }))
        assert.isTrue(Either.isLeft(stale))
        if (Either.isLeft(stale)) {
          assert.strictEqual(stale.left.reason, "Conflict")
          assert.strictEqual(stale.left.status, 409)
          assert.match(stale.left.detail, /the object has been modified/)
        }
        assert.deepStrictEqual(fake.getObject("configmaps", cmRef.namespace, cmRef.name)?.["data"], { a: "2" })
      }).pipe(Effect.provide(client))
    }).pipe(Effect.scoped))

  it.live("sends Lease times as microsecond MicroTime, which the server accepts; a plain Date is refused", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({ rules: allowAll })
      yield* Effect.gen(function*() {
        const kube = yield* KubeClient
        const at = Date.UTC(2026, 0, 1, 0, 0, 0, 123)
        yield* kube.leases.create(leaseRef, {
          metadata: { name: leaseRef.name, namespace: leaseRef.namespace },
          spec: {
            holderIdentity: "a",
            renewTime: kube.microTime(at),
            acquireTime: kube.microTime(at),
            leaseDurationSeconds: 15
          }
        })
        const spec = fake.getObject("leases", leaseRef.namespace, leaseRef.name)?.["spec"]
        assert.deepInclude(spec, { renewTime: "2026-01-01T00:00:00.123000Z", holderIdentity: "a" })
        const refused = yield* Effect.either(
          kube.leases.create({ ...leaseRef, name: "other" }, {
            metadata: { name: "other", namespace: leaseRef.namespace },
            spec: { renewTime: new Date(at) }
          })
        )
        assert.isTrue(Either.isLeft(refused) && refused.left.status === 400 && refused.left.reason === "Other")
      }).pipe(Effect.provide(client))
    }).pipe(Effect.scoped))

  it.live("a verb or name the Role does not grant is Forbidden (default Role from k8s-cluster.yaml)", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn()
      yield* Effect.gen(function*() {
        const kube = yield* KubeClient
        const denied = yield* Effect.either(
          kube.leases.create(leaseRef, { metadata: { name: leaseRef.name, namespace: leaseRef.namespace }, spec: {} })
        )
        assert.isTrue(Either.isLeft(denied) && denied.left.reason === "Forbidden" && denied.left.status === 403)
        if (Either.isLeft(denied)) assert.match(denied.left.detail, /cannot create resource "leases"/)
        const otherName = yield* Effect.either(
          kube.configMaps.read({ namespace: cmRef.namespace, name: "someone-elses" })
        )
        assert.isTrue(Either.isLeft(otherName) && otherName.left.reason === "Forbidden")
        const granted = yield* Effect.either(kube.configMaps.read(cmRef))
        assert.isTrue(Either.isLeft(granted) && granted.left.reason === "NotFound")
        assert.strictEqual(fake.rejectedWrites, 1)
      }).pipe(Effect.provide(client))
    }).pipe(Effect.scoped))

  it.live("an API server that refuses connections is Unreachable; one that never answers is Timeout", () =>
    Effect.gen(function*() {
      const { client, fake } = yield* standIn({}, "300 millis")
      yield* Effect.gen(function*() {
        const kube = yield* KubeClient
        yield* Effect.promise(() => fake.stop())
        const refused = yield* Effect.either(kube.leases.read(leaseRef))
        assert.isTrue(
          Either.isLeft(refused) && refused.left.reason === "Unreachable" && refused.left.status === undefined
        )
        yield* Effect.promise(() => fake.resume())
        fake.hang()
        const silent = yield* Effect.either(kube.leases.read(leaseRef))
        assert.isTrue(Either.isLeft(silent) && silent.left.reason === "Timeout")
        // Also where the caller cannot be interrupted, e.g. a shutdown finalizer.
        const silentInFinalizer = yield* Effect.either(Effect.uninterruptible(kube.leases.read(leaseRef)))
        assert.isTrue(Either.isLeft(silentInFinalizer) && silentInFinalizer.left.reason === "Timeout")
        yield* Effect.promise(() => fake.resume())
        const back = yield* Effect.either(kube.leases.read(leaseRef))
        assert.isTrue(Either.isLeft(back) && back.left.reason === "NotFound")
      }).pipe(Effect.provide(client))
    }).pipe(Effect.scoped))
})

describe("KubeClient error parts", () => {
  it("maps statuses to reasons", () => {
    assert.strictEqual(reasonOfStatus(409), "Conflict")
    assert.strictEqual(reasonOfStatus(404), "NotFound")
    assert.strictEqual(reasonOfStatus(403), "Forbidden")
    assert.strictEqual(reasonOfStatus(500), "Other")
  })
  it("takes the message out of a Status body, else the body itself", () => {
    assert.strictEqual(
      statusMessage(JSON.stringify({ kind: "Status", message: "leases \"x\" not found" })),
      "leases \"x\" not found"
    )
    assert.strictEqual(statusMessage("upstream connect error"), "upstream connect error")
    assert.isUndefined(statusMessage(undefined))
  })
  it("parses namespace/name", () => {
    assert.deepStrictEqual(parseObjectRef("ns/name"), Option.some({ namespace: "ns", name: "name" }))
    assert.isTrue(Option.isNone(parseObjectRef("name")))
    assert.isTrue(Option.isNone(parseObjectRef("Ns/x")))
    assert.isTrue(Option.isNone(parseObjectRef("a/b/c")))
  })
})
