/**
 * The whole service over fakes: mock HttpClient, in-memory FileSystem, test settings, and a
 * logger that captures every line as the JSON the container would print. Built from the same
 * services layer as the real service (src/app/AppLayer.ts).
 */
import { Path } from "@effect/platform"
import { Effect, Layer, Logger, Random } from "effect"
import { ServicesLayer } from "../../src/app/AppLayer.js"
import type { KubeClient } from "../../src/cluster/KubeClient.js"
import { jsonLogger } from "../../src/observability/Logging.js"
import { type FakeApiOptions, makeFakeApi } from "./FakeApi.js"
import { makeMemoryFileSystem, type MemoryFileSystemOptions } from "./MemoryFileSystem.js"
import { type Settings, testConfigLayer } from "./settings.js"

export const makeHarness = (options: {
  readonly api?: FakeApiOptions
  readonly fs?: MemoryFileSystemOptions
  readonly settings?: Partial<Settings>
  /** A Kubernetes client for what needs one outside cluster mode (the KEDA ConfigMap). */
  readonly kube?: Layer.Layer<KubeClient>
}) => {
  const api = makeFakeApi(options.api)
  const memory = makeMemoryFileSystem(options.fs)
  const logLines: Array<string> = []
  const captureLogger = Logger.map(jsonLogger, (line) => {
    logLines.push(line)
  })
  const config = testConfigLayer(options.settings)
  const layer = ServicesLayer.pipe(
    Layer.provideMerge(config),
    Layer.provide(Layer.mergeAll(api.layer, memory.layer, Path.layer, options.kube ?? Layer.empty)),
    Layer.provideMerge(Logger.replace(Logger.defaultLogger, captureLogger))
  )
  /** Runs an effect against the harness, with deterministic jitter. */
  const run = <A, E, R extends Layer.Layer.Success<typeof layer>>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.provide(layer), Effect.withRandom(Random.make("harness")))
  return { api, memory, logLines, run }
}
