/**
 * Reading a secret from a file (`…_FILE`, for a Kubernetes secret mount): a regular file only
 * (a secret mount is a symlink to one; reading a FIFO would block in a thread the process cannot
 * exit past), and at most one byte past a bound, so a wrong file (a log, a binary mounted by
 * mistake) is never read whole into memory. What is wrong comes back as a value, in the words of
 * the loader's one message; the contents are never part of it.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import { Effect, Either, Option } from "effect"

/** How messages name the secret: `{ what: "the API key", short: "key" }`. */
export interface SecretName {
  readonly what: string
  readonly short: string
}

export const readSecretFile = (
  path: string,
  { short, what }: SecretName,
  maxBytes: number
): Effect.Effect<Either.Either<string, string>, never, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const info = yield* Effect.option(fs.stat(path))
    if (Option.isSome(info) && info.value.type !== "File") {
      return Either.left(`must be a regular file holding ${what}, not a ${info.value.type.toLowerCase()}`)
    }
    const contents = yield* Effect.either(
      Effect.scoped(Effect.flatMap(fs.open(path, { flag: "r" }), (file) => file.readAlloc(maxBytes + 1)))
    )
    if (Either.isLeft(contents)) {
      const error = contents.left
      const reason = error._tag === "SystemError" ? `${error.reason}: ${path}` : error.message
      return Either.left(`cannot read the ${short} file (${reason})`)
    }
    const bytes = Option.getOrElse(contents.right, () => new Uint8Array())
    if (bytes.length > maxBytes) {
      return Either.left(
        `the file is larger than ${maxBytes} bytes; it must hold only ${what} (check that the right file is mounted)`
      )
    }
    return Either.right(new TextDecoder().decode(bytes))
  })
