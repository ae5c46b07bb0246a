/**
 * Reading and decoding answer bodies: size-capped whatever the server declares, never decompressed
 * (identity is asked for, so an encoded answer is refused, not printed as bytes), and decode
 * errors that say what was wrong and what the API said.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Effect, Either, ParseResult, Schema, Stream } from "effect"
import type { SourceError } from "../../ports/CarbonSource.js"
import { apiFailure, summarizeErrorBody } from "./ApiError.js"

const decoder = new TextDecoder()

/** Reads the body as text, failing once it passes `maxBytes` (checked before and while reading). */
export const readBoundedText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  zone: string | undefined
): Effect.Effect<string, SourceError> => {
  const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase()
  if (encoding !== "identity" && encoding !== "") {
    return Effect.fail(
      apiFailure({
        zone,
        reason: "BadResponse",
        status: response.status,
        providerMessage: `compressed answer (content-encoding: ${
          encoding.replace(/[^a-z0-9, -]/g, "?").slice(0, 40)
        }) though identity was asked for`
      })
    )
  }
  const tooLarge = () =>
    apiFailure({
      zone,
      reason: "BodyTooLarge",
      status: response.status,
      providerMessage: `answer larger than ${maxBytes} bytes`
    })
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.fail(tooLarge())
  const lostConnection = (cause: unknown) =>
    apiFailure({
      zone,
      reason: "Transport",
      status: response.status,
      providerMessage: "connection lost while reading the answer",
      cause
    })
  // A declared length is enforced by HTTP framing, so the whole body can be read at once: a third
  // of the CPU of folding the stream chunk by chunk (measured by the benchmark).
  if (Number.isFinite(declared)) return Effect.mapError(response.text, lostConnection)
  return response.stream.pipe(
    Stream.mapError(lostConnection),
    Stream.runFoldEffect({ chunks: Chunk.empty<Uint8Array>(), size: 0 }, (acc, bytes) => {
      const size = acc.size + bytes.length
      return size > maxBytes
        ? Effect.fail(tooLarge())
        : Effect.succeed({ chunks: Chunk.append(acc.chunks, bytes), size })
    }),
    Effect.map(({ chunks, size }) => {
      const all = new Uint8Array(size)
      let offset = 0
      for (const bytes of chunks) {
        all.set(bytes, offset)
        offset += bytes.length
      }
      return decoder.decode(all)
    })
  )
}

/** What was wrong (each issue with its path, not the schema's type) and what the API said. */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(Schema.parseJson(schema))
  return (text: string): Either.Either<A, string> =>
    Either.mapLeft(decode(text), (error) => {
      const issues = ParseResult.ArrayFormatter.formatErrorSync(error)
        .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
        .join("; ")
        .replace(/\s+/g, " ")
      return `${issues.length > 200 ? `${issues.slice(0, 200)}…` : issues}; the API said: ${
        summarizeErrorBody(text) ?? "(empty body)"
      }`
    })
}
