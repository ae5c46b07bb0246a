/**
 * How each fault looks on the wire.
 *
 * Large bodies are streams of one shared, read-only chunk: the server holds at most a chunk or
 * two per response (Node's write buffer applies back-pressure), never the whole body.
 */
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Chunk, Effect, Schedule, Stream } from "effect"
import { gzipSync } from "node:zlib"
import * as Bodies from "./Bodies.js"
import { type BodyFault, escapedKey, isBodyFault } from "./BodyFaults.js"
import type { Fault } from "./Fault.js"
import * as WattTimeBodies from "./watttime/Bodies.js"

/**
 * An answer before it is written: the normal path produces these so faults can reshape them.
 * The body is JSON text already, so a fault can write tokens `JSON.stringify` never would
 * (`1e400`, `\u`-escaped strings).
 */
export interface Reply {
  readonly status: number
  readonly text: string
  /** `application/json` unless said (WattTime's login refusal is nginx's HTML page). */
  readonly contentType?: string
}

export const jsonReply = (status: number, body: unknown): Reply => ({ status, text: JSON.stringify(body) })

export const json = (reply: Reply): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.text(reply.text, { status: reply.status, contentType: reply.contentType ?? "application/json" })

/**
 * The answer gzip-compressed and labelled `content-encoding: gzip` whatever the request's
 * `accept-encoding` said, as a misconfigured proxy does.
 */
export const gzipped = (reply: Reply): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.uint8Array(gzipSync(Buffer.from(reply.text, "utf8")), {
    status: reply.status,
    contentType: "application/json",
    headers: { "content-encoding": "gzip" }
  })

const encoder = new TextEncoder()
const PADDING_CHUNK_BYTES = 64 * 1024
const PADDING_CHUNK = new Uint8Array(PADDING_CHUNK_BYTES).fill("x".charCodeAt(0))

/**
 * A valid JSON document of exactly `bytes` bytes (or the shortest such document, if `bytes` is
 * smaller): a plausible head, then a long `padding` string. Returns its length for Content-Length.
 */
const hugeDocument = (
  zone: string,
  bytes: number
): { readonly length: number; readonly body: Stream.Stream<Uint8Array> } => {
  const head = encoder.encode(`{"zone":${JSON.stringify(zone)},"carbonIntensity":100,"padding":"`)
  const tail = encoder.encode(`"}`)
  const padding = Math.max(0, bytes - head.length - tail.length)
  const fullChunks = Math.floor(padding / PADDING_CHUNK_BYTES)
  const rest = padding % PADDING_CHUNK_BYTES
  return {
    length: head.length + padding + tail.length,
    body: Stream.make(head).pipe(
      Stream.concat(Stream.repeatValue(PADDING_CHUNK).pipe(Stream.take(fullChunks))),
      Stream.concat(Stream.make(PADDING_CHUNK.subarray(0, rest), tail))
    )
  }
}

const endlessDocument = (zone: string): Stream.Stream<Uint8Array> =>
  Stream.make(encoder.encode(`{"zone":${JSON.stringify(zone)},"carbonIntensity":100,"padding":"`)).pipe(
    Stream.concat(Stream.repeatValue(PADDING_CHUNK))
  )

/** The normal answer, `chunkBytes` at a time with a pause after each chunk. */
export const trickle = (
  reply: Reply,
  chunkBytes: number,
  intervalMs: number
): HttpServerResponse.HttpServerResponse => {
  const bytes = encoder.encode(reply.text)
  const chunks = Chunk.makeBy(
    Math.ceil(bytes.length / chunkBytes),
    (i) => bytes.subarray(i * chunkBytes, (i + 1) * chunkBytes)
  )
  return HttpServerResponse.stream(
    Stream.fromChunk(chunks).pipe(Stream.schedule(Schedule.spaced(intervalMs))),
    { status: reply.status, contentType: "application/json" }
  )
}

/**
 * `echo-key-error`: `{"error":"Invalid auth-token","message":"<offset filler><the key>..."}`, the
 * key (or its first half) written in the escape style asked for. Built as text: the escaped forms
 * are tokens `JSON.stringify` would not write.
 */
export const echoKeyError = (
  fault: Extract<Fault, { readonly kind: "echo-key-error" }>,
  key: string
): HttpServerResponse.HttpServerResponse => {
  const echoed = fault.part === "whole" ? key : key.slice(0, Math.ceil(key.length / 2))
  const token = escapedKey(echoed, fault.escape).slice(1, -1)
  return json({
    status: fault.status,
    text: `{"error":"Invalid auth-token","message":"${"x".repeat(fault.offset)}${token} is not a valid token"}`
  })
}

/** Faults whose answer replaces the normal one (the others delay, reshape or re-encode it). */
export type AnswerFault = Exclude<
  Fault,
  { readonly kind: "latency" | "slow" | "gzip" | "echo-key-error" | BodyFault["kind"] }
>

export const isAnswerFault = (fault: Fault): fault is AnswerFault =>
  fault.kind !== "latency" && fault.kind !== "slow" && fault.kind !== "gzip" && !isBodyFault(fault)

/**
 * The answer for a fault that replaces the normal one. `zone` fills the recorded messages that
 * name a zone; `nowMs` dates an HTTP-date `Retry-After`.
 */
export const answer = (
  fault: AnswerFault,
  zone: string,
  nowMs: number
): Effect.Effect<HttpServerResponse.HttpServerResponse> => {
  switch (fault.kind) {
    case "server-error":
      return Effect.succeed(json(jsonReply(fault.status, Bodies.serverError(fault.status))))
    case "rate-limit-429": {
      const retryAfter = fault.retryAfterFormat === "seconds"
        ? String(fault.retryAfterSeconds)
        : new Date(nowMs + fault.retryAfterSeconds * 1000).toUTCString()
      return Effect.succeed(
        HttpServerResponse.unsafeJson(Bodies.tooManyRequests, { status: 429, headers: { "retry-after": retryAfter } })
      )
    }
    case "rate-limit-401":
      return Effect.succeed(json(jsonReply(401, Bodies.rateLimitExceeded)))
    case "hang":
      // Interruptible: the client leaving or the simulator closing ends it.
      return Effect.never
    case "invalid-json":
      return Effect.succeed(
        HttpServerResponse.text(Bodies.noRecentDataInvalidJson(zone), {
          status: fault.status,
          contentType: "application/json"
        })
      )
    case "html-502":
      return Effect.succeed(HttpServerResponse.html(Bodies.proxyBadGatewayHtml).pipe(HttpServerResponse.setStatus(502)))
    case "huge-body": {
      const document = hugeDocument(zone, fault.bytes)
      return Effect.succeed(
        HttpServerResponse.stream(document.body, {
          contentType: "application/json",
          ...(fault.declareLength ? { contentLength: document.length } : {})
        })
      )
    }
    case "endless-body":
      return Effect.succeed(HttpServerResponse.stream(endlessDocument(zone), { contentType: "application/json" }))
    case "no-recent-data":
      return Effect.succeed(json(jsonReply(404, Bodies.noRecentData(zone))))
    case "ansi-message":
      return Effect.succeed(json(jsonReply(500, Bodies.ansiServerError)))
    case "token-expired":
      return Effect.succeed(json(jsonReply(401, WattTimeBodies.tokenRefused)))
    case "out-of-plan":
      return Effect.succeed(json(jsonReply(403, WattTimeBodies.invalidScope)))
  }
}
