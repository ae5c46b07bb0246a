/**
 * The KEDA ConfigMap through the real Kubernetes client, against the stand-in API server enforcing
 * the Role of k8s-keda.yaml: what goes over the wire (binaryData as base64, a replace on the
 * resourceVersion), and the typed errors of an API server that refuses or does not answer.
 */
import { assert, describe, it } from "@effect/vitest"
import { Clock, Effect, Either, Layer, Logger, LogLevel, Option, Scope } from "effect"
import { readFileSync } from "node:fs"
import type { KedaTarget } from "../../../src/config/KedaConfig.js"
import { Forecasts } from "../../../src/forecast/Forecasts.js"
import { RECORDS_KEY } from "../../../src/outputs/keda/ExporterFormat.js"
import { makeKedaPublisher } from "../../../src/outputs/keda/KedaOutput.js"
import { forecastBody, hourOf } from "../../support/fixtures.js"
import { makeHarness } from "../../support/harness.js"
import { clusterManifestObjects, manifestRole } from "../../support/kube/clusterManifest.js"
import type { RoleRule } from "../../support/kube/FakeKubeApiServer.js"
import { standIn } from "../../support/kube/standIn.js"
import { findCarbonForecast, unmarshalCarbonForecasts } from "./operator.js"

const kedaRole = manifestRole(
  clusterManifestObjects(readFileSync(new URL("../../../k8s-keda.yaml", import.meta.url), "utf8"))
)
const TARGET: KedaTarget = {
  configMap: { namespace: kedaRole.namespace, name: "carbon-intensity" },
  zone: "DE",
  kubeconfigPath: Option.none()
}
const quiet = Logger.withMinimumLogLevel(LogLevel.Error)
/** The Role without its create rule: the ConfigMap must already be there. */
const pinnedOnly = kedaRole.rules.filter((rule) => (rule.resourceNames ?? []).length > 0)

/** A publisher over the stand-in's real client, with a forecast from the current hour. */
const publisherOver = (rules: ReadonlyArray<RoleRule>, callTimeout: `${number} millis` | `${number} seconds`) =>
  Effect.gen(function*() {
    const s = yield* standIn({ rules }, callTimeout)
    const now = yield* Clock.currentTimeMillis
    const h = makeHarness({
      api: { intensities: { DE: 380 }, forecasts: { DE: forecastBody("DE", hourOf(now), [300, 250, 200]) } },
      settings: { zones: ["DE"], forecastWindowsMinutes: [60] }
    })
    const client = yield* Layer.build(s.client).pipe(Effect.orDie)
    const scope = yield* Effect.scope
    const publisher = yield* h.run(
      Effect.gen(function*() {
        yield* (yield* Forecasts).refresh
        return yield* Scope.extend(makeKedaPublisher(TARGET), scope)
      }).pipe(Effect.provide(client))
    )
    const stored = () => s.fake.getObject("configmaps", TARGET.configMap.namespace, TARGET.configMap.name)
    return { ...s, publisher, stored, now }
  })

describe("the KEDA ConfigMap through the real client", () => {
  it.live("is created, then replaced on its resourceVersion, with the records as binaryData the operator decodes", () =>
    Effect.gen(function*() {
      const s = yield* publisherOver(kedaRole.rules, "5 seconds")
      assert.strictEqual(yield* s.publisher.publish, "published")
      const first = s.stored()
      assert.strictEqual(yield* s.publisher.publish, "published")
      const second = s.stored()
      assert.notStrictEqual(second?.metadata.resourceVersion, first?.metadata.resourceVersion)
      assert.strictEqual(s.fake.unconditionalWrites, 0)
      assert.strictEqual(s.fake.writes, 2)
      const binary = second?.["binaryData"]
      const encoded = typeof binary === "object" && binary !== null && RECORDS_KEY in binary ? binary[RECORDS_KEY] : ""
      const records = unmarshalCarbonForecasts(Buffer.from(String(encoded), "base64"))
      assert.strictEqual(findCarbonForecast(records, s.now)?.value, 300)
    }).pipe(Effect.scoped, quiet))

  it.live("without create in the Role, a deleted ConfigMap is a Forbidden KedaPublishError", () =>
    Effect.gen(function*() {
      const s = yield* publisherOver(pinnedOnly, "5 seconds")
      s.fake.putObject("configmaps", TARGET.configMap.namespace, TARGET.configMap.name, {})
      assert.strictEqual(yield* s.publisher.publish, "published")
      s.fake.deleteObject("configmaps", TARGET.configMap.namespace, TARGET.configMap.name)
      const refused = yield* Effect.either(s.publisher.publish)
      assert.strictEqual(Either.isLeft(refused) ? refused.left.reason : "published", "Forbidden")
    }).pipe(Effect.scoped, quiet))

  it.live("an API server that does not answer is a Timeout KedaPublishError; the next write reads first, creates nothing", () =>
    Effect.gen(function*() {
      const s = yield* publisherOver(pinnedOnly, "300 millis")
      s.fake.putObject("configmaps", TARGET.configMap.namespace, TARGET.configMap.name, {})
      assert.strictEqual(yield* s.publisher.publish, "published")
      s.fake.hang()
      const timedOut = yield* Effect.either(s.publisher.publish).pipe(Effect.timeout("5 seconds"))
      assert.strictEqual(Either.isLeft(timedOut) ? timedOut.left.reason : "published", "Timeout")
      yield* Effect.promise(() => s.fake.resume())
      assert.strictEqual(yield* s.publisher.publish, "published")
    }).pipe(Effect.scoped, quiet))
})
