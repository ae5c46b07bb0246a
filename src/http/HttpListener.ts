/**
 * How the platform opens the endpoints' server: Node's in production (src/platform/NodeHttpServer.ts),
 * a loopback server or none at all in tests. A platform service like the HTTP client, but one that
 * hands over a server to build rather than a built one: the endpoints build it only when
 * `HTTP_PORT` is not 0, so a service with its endpoints off never opens a socket, and the address
 * comes from the configuration, which is itself read through the platform's filesystem.
 */
import type * as HttpServer from "@effect/platform/HttpServer"
import { Context, Data, type Layer } from "effect"
import { listenAdvice } from "./ListenAdvice.js"

export class HttpPortUnavailable extends Data.TaggedError("HttpPortUnavailable")<{
  readonly host: string
  readonly port: number
  readonly cause: unknown
}> {
  override get message(): string {
    const detail = this.cause instanceof Error ? this.cause.message : String(this.cause)
    return `cannot listen on ${this.host}:${this.port} (HTTP_PORT=${this.port}, HTTP_HOST=${this.host}): ${detail}; ${
      listenAdvice(this.cause, this.port)
    }`
  }
}

export interface ListenAddress {
  readonly host: string
  /** 0: any free port. */
  readonly port: number
}

export class HttpListener extends Context.Tag("carbon-poller/HttpListener")<HttpListener, {
  /** A server listening on the address for the life of the layer. */
  readonly listen: (address: ListenAddress) => Layer.Layer<HttpServer.HttpServer, HttpPortUnavailable>
}>() {}
