/**
 * How to reach WattTime: the base URL and the account's login, a username and a password, each
 * set inline or read from a file (Kubernetes secret mounts). The login is optional as a pair: a
 * deployment without WattTime zones sets neither, and the source then says what to set when it is
 * asked for something. Problems are `ConfigIssue`s, so they join the one start-up message.
 */
import type * as FileSystem from "@effect/platform/FileSystem"
import { Config, Context, Effect, Either, Layer, Option, Redacted } from "effect"
import {
  baseUrlConfig,
  type BaseUrlRules,
  callConfig,
  type CallSettings,
  type KeySource,
  secretSource
} from "./ApiConfig.js"
import { readSecretFile } from "./SecretFile.js"
import { type ConfigIssue, InvalidConfig, redactUrl } from "./Variables.js"

export const URL_VARIABLE = "WATTTIME_API_URL"
export const USERNAME_VARIABLE = "WATTTIME_USERNAME"
export const USERNAME_FILE_VARIABLE = "WATTTIME_USERNAME_FILE"
export const PASSWORD_VARIABLE = "WATTTIME_PASSWORD"
export const PASSWORD_FILE_VARIABLE = "WATTTIME_PASSWORD_FILE"

export const DEFAULT_WATTTIME_URL = "https://api.watttime.org"

/** A username or password file larger than this holds something else: refused without reading it. */
export const MAX_CREDENTIAL_FILE_BYTES = 4096

export interface WattTimeCredentials {
  readonly username: Redacted.Redacted<string>
  readonly password: Redacted.Redacted<string>
}

export type WattTimeSettings = CallSettings & {
  /** Base URL without a trailing slash; `/login` and `/v3/...` are appended to it. */
  readonly apiUrl: string
  /** None when neither username nor password is set. */
  readonly credentials: Option.Option<WattTimeCredentials>
}

export class WattTimeConfig extends Context.Tag("carbon-poller/WattTimeConfig")<WattTimeConfig, WattTimeSettings>() {}

/** The password and the token travel in headers: only TLS, or plain HTTP that stays on the machine. */
const URL_RULES: BaseUrlRules = {
  example: DEFAULT_WATTTIME_URL,
  shape: "https://host",
  credentialsHint: `the login goes in ${USERNAME_VARIABLE} and ${PASSWORD_VARIABLE}`,
  plainHttpHint: "so the password and the token are not sent in clear text"
}

export const wattTimeUrlConfig = baseUrlConfig(URL_VARIABLE, DEFAULT_WATTTIME_URL, URL_RULES)

interface Credential {
  readonly variable: string
  readonly fileVariable: string
  /** What it is, for messages: "username", "password". */
  readonly what: string
}

const USERNAME: Credential = { variable: USERNAME_VARIABLE, fileVariable: USERNAME_FILE_VARIABLE, what: "username" }
const PASSWORD: Credential = { variable: PASSWORD_VARIABLE, fileVariable: PASSWORD_FILE_VARIABLE, what: "password" }

const sourceOf = (credential: Credential) =>
  Config.option(
    secretSource(
      credential.variable,
      credential.fileVariable,
      `your WattTime ${credential.what} (or set ${credential.fileVariable} to a file holding it)`
    )
  )

// Any control character: a credential is one line, and a pasted escape or NUL is a mistake.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** The value as sent in the login: one line ending removed (secret files end in one), nothing else. */
const checkCredential = (
  credential: Credential,
  raw: string,
  shown: { readonly variable: string; readonly value: string }
): Either.Either<Redacted.Redacted<string>, ConfigIssue> => {
  const value = raw.replace(/\r?\n$/, "")
  const problem = value === ""
    ? `empty; it must hold your WattTime ${credential.what}`
    : CONTROL.test(value)
    ? `the ${credential.what} must be one line without control characters; check for a pasted newline or escape`
    : credential === USERNAME && value.includes(":")
    ? "a WattTime username cannot contain \":\" (HTTP Basic authentication separates it from the password with one)"
    : undefined
  return problem === undefined ? Either.right(Redacted.make(value)) : Either.left({ ...shown, expected: problem })
}

/** At most `MAX_CREDENTIAL_FILE_BYTES`, from a regular file, read as every secret file is. */
const readCredentialFile = (credential: Credential, path: string) =>
  Effect.map(
    readSecretFile(
      path,
      { what: `the WattTime ${credential.what}`, short: credential.what },
      MAX_CREDENTIAL_FILE_BYTES
    ),
    (text) =>
      Either.isLeft(text)
        ? Either.left<ConfigIssue>({ variable: credential.fileVariable, value: path, expected: text.left })
        : checkCredential(credential, text.right, { variable: credential.fileVariable, value: path })
  )

/** One credential: none when neither variable is set, else its value or what is wrong with it. */
const resolveCredential = (credential: Credential) =>
  Effect.gen(function*() {
    const source = yield* Effect.either(sourceOf(credential))
    if (Either.isLeft(source)) {
      const path = yield* Effect.orElseSucceed(Config.string(credential.fileVariable), () => "")
      return Either.left<ConfigIssue>({
        variable: credential.fileVariable,
        value: path,
        expected: `set either ${credential.variable} or ${credential.fileVariable}, not both`
      })
    }
    if (Option.isNone(source.right)) return Either.right(Option.none<Redacted.Redacted<string>>())
    const given: KeySource = source.right.value
    const value = given._tag === "Inline"
      ? checkCredential(credential, Redacted.value(given.key), { variable: credential.variable, value: "<redacted>" })
      : yield* readCredentialFile(credential, given.path)
    return Either.map(value, Option.some)
  })

const missingPartner = (missing: Credential, given: Credential): ConfigIssue => ({
  variable: missing.variable,
  value: undefined,
  expected: `required with ${given.variable}: your WattTime ${missing.what} (or set ${missing.fileVariable})`
})

/**
 * The login: none when neither half is set, else both halves, or what is wrong with each. The
 * caller decides whether a missing login is a problem (only when a WattTime zone is configured).
 */
export const resolveWattTimeCredentials: Effect.Effect<
  Either.Either<Option.Option<WattTimeCredentials>, ReadonlyArray<ConfigIssue>>,
  never,
  FileSystem.FileSystem
> = Effect.gen(function*() {
  const issues: Array<ConfigIssue> = []
  const username = yield* resolveCredential(USERNAME)
  const password = yield* resolveCredential(PASSWORD)
  for (const resolved of [username, password]) if (Either.isLeft(resolved)) issues.push(resolved.left)
  if (Either.isLeft(username) || Either.isLeft(password)) return Either.left(issues)
  const [user, pass] = [username.right, password.right]
  if (Option.isSome(user) && Option.isSome(pass)) {
    return Either.right(Option.some({ username: user.value, password: pass.value }))
  }
  if (Option.isSome(user)) return Either.left([missingPartner(PASSWORD, USERNAME)])
  if (Option.isSome(pass)) return Either.left([missingPartner(USERNAME, PASSWORD)])
  return Either.right(Option.none())
})

/** What a deployment without WattTime credentials is told when a WattTime zone needs them. */
export const credentialsRequired = (): ReadonlyArray<ConfigIssue> =>
  [USERNAME, PASSWORD].map((credential) => ({
    variable: credential.variable,
    value: undefined,
    expected:
      `required: ZONES names a watttime: zone; your WattTime ${credential.what} (or set ${credential.fileVariable})`
  }))

/** The WattTime settings alone (its URL, login and the shared call knobs), or one `InvalidConfig`. */
export const loadWattTimeSettings: Effect.Effect<WattTimeSettings, InvalidConfig, FileSystem.FileSystem> = Effect
  .gen(function*() {
    const described = yield* Effect.either(Config.all({ apiUrl: wattTimeUrlConfig, call: callConfig }))
    const credentials = yield* resolveWattTimeCredentials
    const issues: Array<ConfigIssue> = []
    if (Either.isLeft(described)) {
      const raw = yield* Effect.orElseSucceed(Config.string(URL_VARIABLE), () => "")
      issues.push({ variable: URL_VARIABLE, value: redactUrl(raw), expected: described.left.message })
    }
    if (Either.isLeft(credentials)) { for (const issue of credentials.left) issues.push(issue) }
    if (Either.isLeft(described) || Either.isLeft(credentials)) return yield* new InvalidConfig({ issues })
    return { apiUrl: described.right.apiUrl, ...described.right.call, credentials: credentials.right }
  })

/** Provides `WattTimeConfig` from the environment (the current `ConfigProvider`) and `FileSystem`. */
export const layer = Layer.effect(WattTimeConfig, loadWattTimeSettings)
