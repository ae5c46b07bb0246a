/**
 * The whole service over fakes: mock HttpClient, in-memory FileSystem, test settings, no HTTP
 * server unless a test brings one, and a logger that captures every line as the JSON the
 * container would print. Built from the same assembly as the real service (src/app/AppLayer.ts).
 */
import { Path } from "@effect/platform"
import { Effect, Layer, Logger, Random } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import type { KubeClient } from "../../src/cluster/KubeClient.js"
import { HttpListener } from "../../src/http/HttpListener.js"
import { jsonLogger } from "../../src/observability/Logging.js"
import { type FakeApiOptions, makeFakeApi } from "./FakeApi.js"
import { makeMemoryFileSystem, type MemoryFileSystemOptions } from "./MemoryFileSystem.js"
import * as TestSettings from "./settings.js"

/** No HTTP server: with `HTTP_PORT=0` (the test default) the service never asks for one. */
const noListener = Layer.succeed(HttpListener, {
  listen: () => Layer.die(new Error("this test gives the service no HTTP server; set httpPort 0 or pass a listener"))
})

export const makeHarness = (options: {
  readonly api?: FakeApiOptions
  readonly fs?: MemoryFileSystemOptions
  readonly settings?: Partial<TestSettings.Settings>
  readonly listener?: Layer.Layer<HttpListener>
  /** A Kubernetes client for what needs one outside cluster mode (the KEDA ConfigMap). */
  readonly kube?: Layer.Layer<KubeClient>
}) => {
  const api = makeFakeApi(options.api)
  const memory = makeMemoryFileSystem(options.fs)
  const logLines: Array<string> = []
  const captureLogger = Logger.map(jsonLogger, (line) => {
    logLines.push(line)
  })
  const platform = Layer.mergeAll(
    api.layer,
    memory.layer,
    Path.layer,
    options.listener ?? noListener,
    options.kube ?? Layer.empty
  )
  /** Any layer of the assembly over the harness's platform, settings and logger. */
  const over = <A, E, R>(layer: Layer.Layer<A, E, R>) =>
    layer.pipe(
      Layer.provideMerge(TestSettings.layer(options.settings)),
      Layer.provide(platform),
      Layer.provideMerge(Logger.replace(Logger.defaultLogger, captureLogger))
    )
  const services = over(AppLayer.ServicesLayer)
  const service = over(AppLayer.ServiceLayer)
  /** Runs an effect over the services, with deterministic jitter. */
  const run = <A, E, R extends Layer.Layer.Success<typeof services>>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.provide(services), Effect.withRandom(Random.make("harness")))
  /** Runs an effect while the long-running service runs beside it, over the same services. */
  const serving = <A, E, R extends Layer.Layer.Success<typeof service>>(effect: Effect.Effect<A, E, R>) =>
    effect.pipe(Effect.provide(service), Effect.withRandom(Random.make("harness")))
  /** The long-running service until interrupted, as `main` launches it. */
  const launch = serving(Effect.never)
  return { api, memory, logLines, over, run, serving, launch }
}
