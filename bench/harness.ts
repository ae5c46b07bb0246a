/**
 * The service's own layers (`ServicesLayer`, as src/main.ts composes them) over Node's filesystem
 * and an HTTP client of the bench's choosing, with settings from a raw environment validated by
 * the service's own `validateSettings`. Every request the client executes is time-stamped, so the
 * bench can count requests per poll and the peak request rate.
 */
import * as NodeFileSystem from "@effect/platform-node/NodeFileSystem"
import * as NodePath from "@effect/platform-node/NodePath"
import * as HttpClient from "@effect/platform/HttpClient"
import { Effect, Layer, Logger, LogLevel, ManagedRuntime } from "effect"
import { performance } from "node:perf_hooks"
import { ServicesLayer } from "../src/App.js"
import { PollerConfig, type RawEnvironment, type Settings, validateSettings } from "../src/Config.js"
import { Poller, type PollSummary } from "../src/Poller.js"

export const BENCH_API_KEY = "bench-key"

/** Settings exactly as the service would derive them from these variables. */
export const settingsFrom = (env: RawEnvironment): Settings => {
  const result = validateSettings(
    { ELECTRICITY_MAPS_API_KEY: BENCH_API_KEY, LOG_LEVEL: "none", HTTP_PORT: "0", ...env },
    { stdoutIsTerminal: false, keyFile: { _tag: "NotConfigured" } }
  )
  if (result._tag === "Invalid") throw new Error(`bench settings invalid: ${JSON.stringify(result.issues)}`)
  return result.settings
}

/** Start times (performance.now(), ms) of every request the client executed. */
export interface RequestLog {
  readonly starts: Array<number>
}

const recording = (log: RequestLog) =>
  Layer.effect(
    HttpClient.HttpClient,
    Effect.map(HttpClient.HttpClient, (client) =>
      HttpClient.tapRequest(client, () =>
        Effect.sync(() => {
          log.starts.push(performance.now())
        })))
  )

export interface PollerUnderTest {
  readonly pollOnce: (zones: ReadonlyArray<string>) => Promise<PollSummary>
  readonly run: <A, E>(
    effect: Effect.Effect<A, E, Layer.Layer.Success<typeof ServicesLayer> | PollerConfig>
  ) => Promise<A>
  readonly requests: RequestLog
  readonly dispose: () => Promise<void>
}

/**
 * Builds the service in this process. `http` is the platform's client layer (main.ts uses
 * `NodeHttpClient.layerUndici`); logs are off (LOG_LEVEL=none) so the bench measures the work, not the
 * terminal.
 */
export const makePoller = (settings: Settings, http: Layer.Layer<HttpClient.HttpClient>): PollerUnderTest => {
  const requests: RequestLog = { starts: [] }
  const layer = ServicesLayer.pipe(
    Layer.provideMerge(Layer.succeed(PollerConfig, settings)),
    Layer.provide(Layer.mergeAll(NodeFileSystem.layer, NodePath.layer, recording(requests).pipe(Layer.provide(http)))),
    Layer.provideMerge(Layer.merge(Logger.remove(Logger.defaultLogger), Logger.minimumLogLevel(LogLevel.None)))
  )
  const runtime = ManagedRuntime.make(layer)
  return {
    pollOnce: (zones) => runtime.runPromise(Effect.flatMap(Poller, (poller) => poller.pollOnce(zones))),
    run: (effect) => runtime.runPromise(effect),
    requests,
    dispose: () => runtime.dispose()
  }
}
