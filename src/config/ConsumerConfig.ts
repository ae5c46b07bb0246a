/**
 * Who may read the Electricity-Maps-compatible API (`/v4/carbon-intensity/…`): anyone on the
 * network, or, with `CONSUMER_TOKEN` (or `CONSUMER_TOKEN_FILE`, for a Kubernetes secret mount)
 * set, only a client sending that token as its `auth-token` header, the header every Electricity
 * Maps client already sends. The token is a secret: never logged, never shown in a message.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Config, ConfigError, Context, Effect, Either, Option, Redacted } from "effect"
import { readSecretFile } from "./SecretFile.js"

export const TOKEN_VARIABLE = "CONSUMER_TOKEN"
export const TOKEN_FILE_VARIABLE = "CONSUMER_TOKEN_FILE"

export interface ConsumerSettings {
  /** None: the read API answers without a token. */
  readonly consumerToken: Option.Option<Redacted.Redacted<string>>
}

export class ConsumerConfig extends Context.Tag("carbon-poller/ConsumerConfig")<ConsumerConfig, ConsumerSettings>() {}

export type TokenSource =
  | { readonly _tag: "None" }
  | { readonly _tag: "Inline"; readonly token: Redacted.Redacted<string> }
  | { readonly _tag: "File"; readonly path: string }

/** Where the token comes from; the loader reads a file through `FileSystem` (`resolveConsumerToken`). */
export const consumerTokenSource: Config.Config<TokenSource> = Config.all({
  inline: Config.option(Config.redacted(TOKEN_VARIABLE)),
  file: Config.option(Config.string(TOKEN_FILE_VARIABLE))
}).pipe(
  Config.mapOrFail(({ file, inline }): Either.Either<TokenSource, ConfigError.ConfigError> => {
    if (Option.isSome(inline) && Option.isSome(file)) {
      return Either.left(
        ConfigError.InvalidData(
          [TOKEN_FILE_VARIABLE],
          `set either ${TOKEN_VARIABLE} or ${TOKEN_FILE_VARIABLE}, not both`
        )
      )
    }
    if (Option.isSome(file)) return Either.right({ _tag: "File", path: file.value })
    if (Option.isSome(inline)) return Either.right({ _tag: "Inline", token: inline.value })
    return Either.right({ _tag: "None" })
  })
)

/** Shaped like the loader's own problems, so it joins the one message that names every bad variable. */
export interface TokenIssue {
  readonly variable: string
  readonly value: string | undefined
  readonly expected: string
}

/**
 * A token is a few dozen characters; the bounds keep a wrong file from being read whole and a
 * pasted document from becoming a header every consumer must send.
 */
export const MAX_TOKEN_LENGTH = 512
export const MAX_TOKEN_FILE_BYTES = 4096

/** Consumers send it as an HTTP header: one line of printable ASCII without spaces. */
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/

const checkToken = (
  variable: string,
  shown: string | undefined,
  raw: string
): Either.Either<ConsumerSettings, TokenIssue> => {
  const token = raw.trim()
  if (token === "") {
    return Either.left({
      variable,
      value: shown,
      expected: variable === TOKEN_VARIABLE
        ? `must not be empty; unset ${TOKEN_VARIABLE} to serve the read API without a token`
        : "the file is empty; it must hold the consumer token"
    })
  }
  if (token.length > MAX_TOKEN_LENGTH) {
    return Either.left({
      variable,
      value: shown,
      expected: `the token is ${token.length} characters long; a consumer token has at most ${MAX_TOKEN_LENGTH}`
    })
  }
  if (!PRINTABLE_ASCII.test(token)) {
    return Either.left({
      variable,
      value: shown,
      expected:
        "the token must be a single line of printable ASCII characters without spaces (consumers send it as the auth-token header)"
    })
  }
  return Either.right({ consumerToken: Option.some(Redacted.make(token)) })
}

/** The settings, reading the token file if one is named; a problem comes back as a value. */
export const resolveConsumerToken = (
  source: TokenSource
): Effect.Effect<Either.Either<ConsumerSettings, TokenIssue>, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    if (source._tag === "None") return Either.right({ consumerToken: Option.none() })
    if (source._tag === "Inline") return checkToken(TOKEN_VARIABLE, "<redacted>", Redacted.value(source.token))
    const text = yield* readSecretFile(
      source.path,
      { what: "the consumer token", short: "token" },
      MAX_TOKEN_FILE_BYTES
    )
    if (Either.isLeft(text)) {
      return Either.left({ variable: TOKEN_FILE_VARIABLE, value: source.path, expected: text.left })
    }
    return checkToken(TOKEN_FILE_VARIABLE, source.path, text.right)
  })
