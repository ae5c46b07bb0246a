/**
 * The one place the service is assembled: configuration, the source, the outputs, the poller and
 * its status. The platform (HTTP client, filesystem, path; the HTTP server for the endpoints) comes
 * from outside: Node's in src/main.ts, fakes in tests. main, the demo, the tests and the bench all
 * build the service from here.
 *
 * To add a source provider: write its adapter layer and choose it in `SourceLayer`. To add an
 * output: write its adapter and add it to `OutputsLayer`'s list. Cluster mode (src/cluster/) adds
 * the ConfigMap output and decides leadership; as a sidecar it adds nothing. The KEDA forecast
 * ConfigMap (src/outputs/keda/), when configured, comes last: it reads the forecasts, so the
 * outputs are built after them.
 */
import type * as HttpServer from "@effect/platform/HttpServer"
import { Effect, Layer } from "effect"
import * as ClusterMode from "../cluster/ClusterMode.js"
import * as Configuration from "../config/Configuration.js"
import { Forecasts } from "../forecast/Forecasts.js"
import * as HttpEndpoints from "../http/HttpEndpoints.js"
import * as Logging from "../observability/Logging.js"
import { PrometheusMetrics } from "../observability/PrometheusExposition.js"
import * as FileOutput from "../outputs/file/FileOutput.js"
import * as KedaOutput from "../outputs/keda/KedaOutput.js"
import { Poller } from "../poll/Poller.js"
import { PollStatus } from "../poll/PollStatus.js"
import { ZoneCheck } from "../poll/ZoneCheck.js"
import { CacheOutputs } from "../ports/CacheOutput.js"
import * as ElectricityMapsSource from "../providers/electricitymaps/ElectricityMapsSource.js"

export const SourceLayer = ElectricityMapsSource.layer

/** Every output, in the order a poll writes them (the most authoritative first: it is also recalled first). */
export const OutputsLayer = Layer.effect(
  CacheOutputs,
  Effect.map(
    Effect.all([ClusterMode.ClusterOutputs, FileOutput.CacheFileOutput, KedaOutput.KedaOutputs]),
    ([cluster, file, keda]) => [...cluster, file, ...keda]
  )
).pipe(Layer.provide(KedaOutput.layer))

/** Everything but the configuration and the platform. */
export const ServicesLayer = Layer.mergeAll(Poller.Default, ZoneCheck.Default).pipe(
  Layer.provideMerge(OutputsLayer),
  Layer.provideMerge(Forecasts.Default),
  Layer.provideMerge(ClusterMode.layer),
  Layer.provideMerge(Layer.mergeAll(FileOutput.layer, SourceLayer, PrometheusMetrics.Default)),
  Layer.provideMerge(PollStatus.Default)
)

export interface AppOptions {
  readonly stdoutIsTerminal: boolean
}

/** The service over a platform: configuration read once, logging as configured, every service. */
export const layer = (options: AppOptions) =>
  ServicesLayer.pipe(
    Layer.provideMerge(Logging.layer),
    Layer.provideMerge(Configuration.layer({ ...options, keyRequired: true }))
  )

/** Only what the `zones` command needs: the source, with the key optional (`/zones` answers without one). */
export const catalogueLayer = (options: AppOptions) =>
  SourceLayer.pipe(
    Layer.provideMerge(Logging.layer),
    Layer.provideMerge(Configuration.layer({ ...options, keyRequired: false }))
  )

/** The endpoints over the platform's server. */
export const endpointsLayer = <E, R>(server: Layer.Layer<HttpServer.HttpServer, E, R>) =>
  HttpEndpoints.layer.pipe(Layer.provide(server))
