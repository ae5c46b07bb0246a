/**
 * Reading and decoding a provider's answer bodies: size-capped whatever the server declares, never
 * decompressed (identity is asked for, so an encoded answer is refused, not printed as bytes), and
 * decode errors that say what was wrong and what the provider said. Provider-neutral: each adapter
 * turns an `HttpFailure` into its own error with the zone it asked for.
 */
import type * as HttpClientResponse from "@effect/platform/HttpClientResponse"
import { Chunk, Data, Effect, Either, ParseResult, Schema, Stream } from "effect"

/**
 * A request that got no usable answer: no connection, no complete answer in time, or a body that
 * could not be read. `message` is written by us or redacted by the caller, never a raw body.
 */
export class HttpFailure extends Data.TaggedError("HttpFailure")<{
  readonly reason: "BadResponse" | "BodyTooLarge" | "Transport" | "Timeout"
  readonly status?: number | undefined
  readonly message: string
  readonly cause?: unknown
}> {}

const decoder = new TextDecoder()

/** Reads the body as text, failing once it passes `maxBytes` (checked before and while reading). */
export const readBoundedText = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number
): Effect.Effect<string, HttpFailure> => {
  const status = response.status
  const encoding = (response.headers["content-encoding"] ?? "identity").trim().toLowerCase()
  if (encoding !== "identity" && encoding !== "") {
    return Effect.fail(
      new HttpFailure({
        reason: "BadResponse",
        status,
        message: `compressed answer (content-encoding: ${
          encoding.replace(/[^a-z0-9, -]/g, "?").slice(0, 40)
        }) though identity was asked for`
      })
    )
  }
  const tooLarge = () =>
    new HttpFailure({ reason: "BodyTooLarge", status, message: `answer larger than ${maxBytes} bytes` })
  const declared = Number(response.headers["content-length"])
  if (Number.isFinite(declared) && declared > maxBytes) return Effect.fail(tooLarge())
  const lostConnection = (cause: unknown) =>
    new HttpFailure({ reason: "Transport", status, message: "connection lost while reading the answer", cause })
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

const MAX_MESSAGE_LENGTH = 300

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g

/**
 * `text` at most `max` characters long, with `…` where it was cut. Only for text already redacted:
 * a cut through a secret would leave a part of it that redaction can no longer recognise as such.
 */
export const shorten = (text: string, max: number): string => (text.length > max ? `${text.slice(0, max)}…` : text)

const stringField = (object: object, field: string): string | undefined => {
  const value = field in object ? Reflect.get(object, field) : undefined
  return typeof value === "string" ? value : undefined
}

/**
 * The texts of a JSON error body: `{"error": "...", "message": "..."}` (Electricity Maps, WattTime),
 * `{"msg": "..."}` (WattTime's documented example) or `{"error": {"code": "...", "message": "..."}}`
 * (the UK Carbon Intensity API).
 */
const jsonErrorParts = (parsed: object): ReadonlyArray<string> => {
  const nested: unknown = "error" in parsed ? Reflect.get(parsed, "error") : undefined
  const source = typeof nested === "object" && nested !== null ? nested : parsed
  const fields = source === parsed ? ["error", "message", "msg"] : ["code", "message"]
  return fields.map((field) => stringField(source, field)).filter((part): part is string => part !== undefined)
}

/**
 * One line of what a provider said: its JSON error fields, an HTML title, or the start of the text.
 * Redacted by `redact` before it is shortened, and free of control characters (it goes into the
 * cache file's `unavailable` and into the log).
 */
export const summarizeErrorBody = (body: string, redact: (text: string) => string): string | undefined => {
  const trimmed = body.trim()
  if (trimmed === "") return undefined
  let summary: string | undefined
  try {
    const parsed: unknown = JSON.parse(trimmed)
    if (typeof parsed === "object" && parsed !== null) {
      const parts = jsonErrorParts(parsed)
      if (parts.length > 0) summary = parts.join(": ")
    }
  } catch {
    // Not JSON: Electricity Maps once served its no-data error with unescaped quotes; proxies send HTML.
  }
  if (summary === undefined) {
    const htmlTitle = /<(?:title|h1)[^>]*>([^<]*)</i.exec(trimmed)
    summary = htmlTitle?.[1] ? `HTML page: ${htmlTitle[1]}` : trimmed
  }
  const oneLine = redact(summary).replace(/\s+/g, " ").replace(CONTROL, "?").trim()
  return shorten(oneLine, MAX_MESSAGE_LENGTH)
}

/**
 * What was wrong (each issue with its path, not the schema's type) and what the provider said.
 * The issues quote the values they refuse, so they are redacted with `redact` before being shortened.
 */
export const decodeJson = <A, I>(schema: Schema.Schema<A, I>) => {
  const decode = Schema.decodeUnknownEither(Schema.parseJson(schema))
  return (text: string, redact: (text: string) => string): Either.Either<A, string> =>
    Either.mapLeft(decode(text), (error) => {
      const issues = redact(
        ParseResult.ArrayFormatter.formatErrorSync(error)
          .map((issue) => (issue.path.length > 0 ? `${issue.path.join(".")}: ${issue.message}` : issue.message))
          .join("; ")
      ).replace(/\s+/g, " ")
      return `${shorten(issues, 200)}; the API said: ${summarizeErrorBody(text, redact) ?? "(empty body)"}`
    })
}
