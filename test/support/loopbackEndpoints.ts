/**
 * The endpoints layer on Node's bounded server, on a free loopback port, for the life of the scope:
 * what a probe or a flood meets in production. Resolves to the port. The settings must name a
 * non-zero HTTP_PORT (any: the server listens on a free one), since HTTP_PORT=0 turns the endpoints off.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import { Context, Deferred, Effect, Layer } from "effect"
import * as HttpEndpoints from "../../src/http/HttpEndpoints.js"
import { HttpListener } from "../../src/http/HttpListener.js"
import * as NodeHttpServer from "../../src/platform/NodeHttpServer.js"

export const loopbackEndpoints = Effect.gen(function*() {
  const node = yield* Effect.provide(HttpListener, NodeHttpServer.layer)
  const bound = yield* Deferred.make<HttpServer.Address>()
  const anyPort = Layer.succeed(HttpListener, {
    listen: (address) =>
      node.listen({ ...address, port: 0 }).pipe(
        Layer.tap((context) => Deferred.succeed(bound, Context.get(context, HttpServer.HttpServer).address))
      )
  })
  yield* Layer.build(HttpEndpoints.layer.pipe(Layer.provide(anyPort)))
  const address = yield* Deferred.await(bound)
  return address._tag === "TcpAddress" ? address.port : 0
})
