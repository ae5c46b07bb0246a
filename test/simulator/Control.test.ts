import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { get, getJson, latestUrl, provideClient, send } from "./support.js"

interface FaultList {
  readonly faults: ReadonlyArray<Simulator.ArmedFault>
}
interface Added extends FaultList {
  readonly added: ReadonlyArray<number>
}

describe("Simulator control endpoints", () => {
  it.scoped("reports and resets the counters over HTTP", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ apiKey: "k" })
      yield* getJson(latestUrl(sim.baseUrl, "DE"), "k")
      yield* getJson(latestUrl(sim.baseUrl, "DE"), "k")
      yield* getJson(latestUrl(sim.baseUrl, "ZZ"), "k")
      yield* getJson(latestUrl(sim.baseUrl, "FR"), null)
      yield* getJson(`${sim.baseUrl}/zones`, "k")
      yield* getJson(`${sim.origin}/v3/nowhere`, "k")

      const { body, status } = yield* getJson(`${sim.origin}/__simulator/stats`)
      assert.strictEqual(status, 200)
      assert.deepStrictEqual(body, {
        total: 6,
        inFlight: 0,
        maxInFlight: 1,
        unauthorized: 1,
        byZone: { DE: 2, ZZ: 1, FR: 1 },
        forecastByZone: {},
        ukciByZone: {},
        ukciForecastByZone: {},
        wattTimeByRegion: {},
        byEndpoint: { latest: 4, zones: 1, other: 1 },
        byVersion: { v3: 1, v4: 5 },
        byStatus: { "200": 3, "404": 2, "401": 1 },
        faultHits: {}
      })
      assert.deepStrictEqual(yield* sim.stats(), body)

      const reset = yield* send("DELETE", `${sim.origin}/__simulator/stats`)
      assert.strictEqual((reset.body as Simulator.SimulatorStats).total, 0)
      assert.strictEqual((yield* sim.stats()).total, 0)
      yield* getJson(latestUrl(sim.baseUrl, "DE"), "k")
      yield* sim.resetStats()
      assert.deepStrictEqual((yield* sim.stats()).byZone, {})
    }).pipe(provideClient))

  it.scoped("arms, lists, replaces and clears faults over HTTP", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const faultsUrl = `${sim.origin}/__simulator/faults`

      const added = yield* send("POST", faultsUrl, [
        { fault: { kind: "server-error", status: 503 }, zone: "DE", when: { next: 1 } },
        { fault: { kind: "no-recent-data" }, zone: "FR" }
      ])
      assert.strictEqual(added.status, 201)
      assert.deepStrictEqual((added.body as Added).added, [1, 2])
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 503)
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "DE"))).status, 200)

      const listed = (yield* getJson(faultsUrl)).body as FaultList
      assert.deepStrictEqual(listed.faults, [{
        id: 2,
        rule: { fault: { kind: "no-recent-data" }, zone: "FR", when: "always" },
        hits: 0
      }])

      const single = yield* send("POST", faultsUrl, { fault: { kind: "rate-limit-401" }, when: { probability: 1 } })
      assert.deepStrictEqual((single.body as Added).added, [3])
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "PL"))).status, 401)

      const removed = yield* send("DELETE", `${faultsUrl}/3`)
      assert.deepStrictEqual((removed.body as FaultList).faults.map((f) => f.id), [2])
      assert.strictEqual((yield* send("DELETE", `${faultsUrl}/3`)).status, 404)
      assert.strictEqual((yield* send("DELETE", `${faultsUrl}/x`)).status, 400)

      const replaced = yield* send("PUT", faultsUrl, { fault: { kind: "html-502" }, endpoint: "any" })
      assert.deepStrictEqual((replaced.body as FaultList).faults.map((f) => f.rule.fault.kind), ["html-502"])
      assert.strictEqual((yield* get(`${sim.baseUrl}/zones`)).status, 502)

      const cleared = yield* send("DELETE", faultsUrl)
      assert.deepStrictEqual(cleared.body, { faults: [] })
      assert.strictEqual((yield* getJson(latestUrl(sim.baseUrl, "FR"))).status, 200)
    }).pipe(provideClient))

  it.scoped("refuses a malformed fault with 400 and a reason", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({})
      const faultsUrl = `${sim.origin}/__simulator/faults`
      const unknownKind = yield* send("POST", faultsUrl, { fault: { kind: "meteor" } })
      assert.strictEqual(unknownKind.status, 400)
      assert.include((unknownKind.body as { error: string }).error, "meteor")
      const badTrigger = yield* send("POST", faultsUrl, { fault: { kind: "hang" }, when: { next: 0 } })
      assert.strictEqual(badTrigger.status, 400)
      assert.deepStrictEqual((yield* getJson(faultsUrl)).body, { faults: [] })
      assert.deepStrictEqual((yield* getJson(`${sim.origin}/__simulator/health`)).body, { status: "ok" })
    }).pipe(provideClient))
})
