/** A stand-in API server plus a KubeClient layer that talks to it through the real client. */
import { type Duration, Effect, Layer, Option, type Scope } from "effect"
import * as KubeClient from "../../../src/cluster/KubeClient.js"
import {
  type FakeKubeApiServer,
  fakeKubeApiServer,
  type FakeKubeApiServerOptions,
  kubeconfigFile
} from "./FakeKubeApiServer.js"

const clientLayerFor = (
  fake: FakeKubeApiServer,
  callTimeout: Duration.DurationInput
): Effect.Effect<Layer.Layer<KubeClient.KubeClient, KubeClient.KubeError>, never, Scope.Scope> =>
  Effect.map(kubeconfigFile(fake.url), (file) => KubeClient.layer({ kubeconfigPath: Option.some(file), callTimeout }))

export interface StandIn {
  readonly fake: FakeKubeApiServer
  readonly client: Layer.Layer<KubeClient.KubeClient, KubeClient.KubeError>
}

export const standIn = (
  options: FakeKubeApiServerOptions = {},
  callTimeout: Duration.DurationInput = "1 second"
): Effect.Effect<StandIn, never, Scope.Scope> =>
  Effect.gen(function*() {
    const fake = yield* fakeKubeApiServer(options)
    // Built once per test and shared by everything provided with it.
    const client = yield* Layer.memoize(yield* clientLayerFor(fake, callTimeout))
    return { fake, client }
  })
