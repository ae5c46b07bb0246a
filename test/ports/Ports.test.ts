/**
 * The poll speaks only to its ports: any source and any outputs will do. Here a second source
 * adapter (readings from a plain map, no HTTP: test/support/StaticSource.ts) and a second output adapter (kept in memory, no
 * file) run the real poller, forecasts and status, with nothing of Electricity Maps or the file
 * system in the composition. Adding either to the service is that adapter plus one line in
 * src/app/AppLayer.ts.
 */
import { assert, describe, it } from "@effect/vitest"
import { Effect, Layer, Option, Ref, Stream } from "effect"
import { renderCache } from "../../src/domain/CacheFile.js"
import { Forecasts } from "../../src/forecast/Forecasts.js"
import { Poller } from "../../src/poll/Poller.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import { CacheOutputs } from "../../src/ports/CacheOutput.js"
import { Leadership } from "../../src/ports/Leadership.js"
import * as TestSettings from "../support/settings.js"
import { staticSource } from "../support/StaticSource.js"

/** A replica alone: always the leader. */
const alone = Layer.succeed(Leadership, { isLeader: Effect.succeed(true), becameLeader: Stream.empty })

describe("the ports", () => {
  it.effect("run the real poller over a second source and a second output, with no HTTP and no file", () =>
    Effect.gen(function*() {
      const published = yield* Ref.make<ReadonlyArray<string>>([])
      const memoryOutput = Layer.succeed(CacheOutputs, [{
        name: "memory",
        publish: (rendered) => Ref.update(published, (all) => [...all, rendered.contents]),
        recall: Effect.succeed(Option.none())
      }])
      const poller = Poller.Default.pipe(
        Layer.provide(Forecasts.Default),
        Layer.provide(
          Layer.mergeAll(staticSource({ A: 300, B: 50 }), memoryOutput, PollStatus.Default, alone)
        ),
        Layer.provide(TestSettings.layer({ zones: ["A", "B", "C"] }))
      )
      const summary = yield* Effect.flatMap(Poller, (p) => p.pollOnce(["A", "B", "C"])).pipe(Effect.provide(poller))
      const [contents] = yield* Ref.get(published)
      assert.isDefined(contents)
      const cache = Option.getOrThrow(summary.written)
      assert.deepStrictEqual(cache.sorted_by_carbon, ["B", "A"])
      assert.strictEqual(cache.unavailable?.["C"]?.reason, "ZoneNotFound")
      assert.strictEqual(contents, renderCache(cache).contents)
    }))
})
