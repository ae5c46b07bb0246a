/**
 * The recipes in docs/architecture.md, done with test doubles: a provider added to the source
 * list serves the zones that name it, an output added to the output list receives the very bytes
 * the file gets, and a knob follows the path every knob takes from the environment to a service.
 */
import * as Path from "@effect/platform/Path"
import { assert, describe, it } from "@effect/vitest"
import { ConfigError, ConfigProvider, ConfigProviderPathPatch, Effect, HashSet, Layer, Option, Ref } from "effect"
import { readdirSync, readFileSync } from "node:fs"
import * as AppLayer from "../../src/app/AppLayer.js"
import { pollOnceAndExit } from "../../src/app/Commands.js"
import { loadConfiguration, VARIABLES } from "../../src/config/Configuration.js"
import { PollingConfig } from "../../src/config/PollingConfig.js"
import { listZones } from "../../src/poll/ZoneCheck.js"
import type { CacheOutputShape } from "../../src/ports/CacheOutput.js"
import { makeFakeApi } from "../support/FakeApi.js"
import { makeHarness } from "../support/harness.js"
import { makeMemoryFileSystem } from "../support/MemoryFileSystem.js"
import * as TestSettings from "../support/settings.js"
import * as StaticSource from "../support/StaticSource.js"

const TARGET = "/cache/carbon_cache.json"

/** A provider without HTTP: fixed readings and a catalogue of exactly those zones, named. */
const staticSource = (intensities: Readonly<Record<string, number>>) =>
  StaticSource.staticSource(intensities, { provider: "ukci", named: true })

describe("recipe: add a provider", () => {
  const app = AppLayer.assemble({
    // Electricity Maps' line and a stand-in for the UK one (the real one would ask the network).
    sources: [AppLayer.sources[0], { provider: "ukci", layer: staticSource({ A: 300, B: 50 }) }],
    outputs: AppLayer.outputs
  })

  it.effect("one more line in the source list: the zones that name its provider are its own", () =>
    Effect.gen(function*() {
      const h = makeHarness({ settings: { zones: ["ukci:A", "ukci:B"] } })
      // The zones command lists every provider's zones: Electricity Maps' (the fake API's), then these.
      const listed = yield* listZones(undefined).pipe(Effect.provide(h.over(app.CatalogueLayer)))
      const keys = listed.map((line) => line.trim().split(/\s+/)[0])
      assert.deepStrictEqual(keys.filter((key) => key?.startsWith("ukci:")), ["ukci:A", "ukci:B"])
      assert.isTrue(keys.includes("DE"))
      const asked = h.api.requests.length
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(app.ServicesLayer)))
      const file = JSON.parse(h.memory.read(TARGET) ?? "null")
      assert.deepStrictEqual(file.sorted_by_carbon, ["ukci:B", "ukci:A"])
      // A run whose ZONES name only ukci builds no Electricity Maps source: not one request to it.
      assert.strictEqual(h.api.requests.length, asked)
    }))

  it.effect("zones of the providers already there keep theirs", () =>
    Effect.gen(function*() {
      const h = makeHarness({ api: { intensities: { DE: 380, FR: 40 } }, settings: { zones: ["DE", "FR"] } })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(app.ServicesLayer)))
      assert.deepStrictEqual(JSON.parse(h.memory.read(TARGET) ?? "null").sorted_by_carbon, ["FR", "DE"])
      assert.strictEqual(h.api.requestsFor("DE"), 1)
    }))
})

describe("recipe: add an output", () => {
  it.effect("one more line in the output list: it receives the same bytes as the file", () =>
    Effect.gen(function*() {
      const received = yield* Ref.make<ReadonlyArray<string>>([])
      const inMemory = Effect.succeed<CacheOutputShape>({
        name: "memory",
        publish: (rendered) => Ref.update(received, (all) => [...all, rendered.contents]),
        recall: Effect.succeed(Option.none())
      })
      const app = AppLayer.assemble({ sources: AppLayer.sources, outputs: [...AppLayer.outputs, inMemory] })
      const h = makeHarness({ api: { intensities: { DE: 380, FR: 40 } }, settings: { zones: ["DE", "FR"] } })
      yield* pollOnceAndExit.pipe(Effect.provide(h.over(app.ServicesLayer)))
      const file = h.memory.read(TARGET)
      assert.isDefined(file)
      assert.deepStrictEqual(yield* Ref.get(received), [file])
    }))
})

/** Every variable a concern asks the environment for, as the configuration layer reads them. */
const variablesRead = Effect.gen(function*() {
  const asked = new Set<string>()
  const recording = ConfigProvider.fromFlat(ConfigProvider.makeFlat({
    load: (path) => {
      asked.add(path.join("_"))
      return Effect.fail(ConfigError.MissingData([...path], "not set"))
    },
    enumerateChildren: () => Effect.succeed(HashSet.empty()),
    patch: ConfigProviderPathPatch.empty
  }))
  yield* Effect.either(
    loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
      Effect.withConfigProvider(recording),
      Effect.provide(makeMemoryFileSystem().layer)
    )
  )
  return [...asked]
})

const documented = readdirSync(new URL("../../docs/", import.meta.url))
  .filter((name) => name.endsWith(".md"))
  .map((name) => readFileSync(new URL(`../../docs/${name}`, import.meta.url), "utf8"))
  .join("\n")

describe("recipe: add a knob", () => {
  it.effect("every variable a concern reads is listed in VARIABLES and documented", () =>
    Effect.gen(function*() {
      const read = yield* variablesRead
      assert.isAbove(read.length, 20)
      const listed = new Set<string>(VARIABLES)
      assert.deepStrictEqual(read.filter((name) => !listed.has(name)), [], "read but not in VARIABLES")
      assert.deepStrictEqual(
        VARIABLES.filter((name) => !documented.includes(`\`${name}\``)),
        [],
        "in VARIABLES but in no table of docs/"
      )
    }))

  it.effect("a knob set in the environment reaches the service that asks for its concern", () =>
    Effect.gen(function*() {
      const api = makeFakeApi({ intensities: { DE: 380, FR: 40, SE: 20 } })
      const memory = makeMemoryFileSystem()
      const environment = ConfigProvider.fromMap(
        new Map([["ELECTRICITY_MAPS_API_KEY", TestSettings.TEST_API_KEY], ["ZONES", "SE,FR"], ["LOG_LEVEL", "none"]])
      )
      const service = AppLayer.ServicesLayer.pipe(
        Layer.provideMerge(AppLayer.ConfigLayer({ stdoutIsTerminal: false, keyRequired: true })),
        Layer.provide(Layer.mergeAll(api.layer, memory.layer, Path.layer)),
        Layer.provide(Layer.setConfigProvider(environment))
      )
      const zones = yield* Effect.provide(
        Effect.zipLeft(Effect.map(PollingConfig, (polling) => polling.zones), pollOnceAndExit),
        service
      )
      assert.deepStrictEqual(zones, ["SE", "FR"])
      assert.deepStrictEqual([api.requestsFor("SE"), api.requestsFor("FR"), api.requestsFor("DE")], [1, 1, 0])
      assert.deepStrictEqual(JSON.parse(memory.read(TARGET) ?? "null").sorted_by_carbon, ["SE", "FR"])
    }))
})
