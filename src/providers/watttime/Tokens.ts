/**
 * WattTime's bearer token. One login at a time however many regions are fetched at once (the
 * state is a `SynchronizedRef`, so concurrent callers wait for the login in progress and share
 * its token); renewed 5 minutes before WattTime's 30-minute expiry, measured on the `Clock`; and
 * renewed once more when a data call refuses it, unless another caller already has. A failed
 * login is remembered for a minute, so the concurrent calls of one poll do not each try again:
 * WattTime allows 100 logins per 5 minutes.
 */
import { Clock, Duration, Effect, Either, identity, Option, Redacted, SynchronizedRef } from "effect"
import { makeRedactor, type Redactor } from "../http/Redaction.js"
import { forRegion, type WattTimeError } from "./WattTimeError.js"

export const TOKEN_LIFETIME = Duration.minutes(30)
export const RENEW_AFTER = Duration.minutes(25)
export const LOGIN_FAILURE_MEMORY = Duration.minutes(1)

export interface Token {
  readonly value: Redacted.Redacted<string>
  readonly obtainedAt: number
  /** Redacts the login's secrets and this token from anything WattTime sends back. */
  readonly redactor: Redactor
}

export interface Tokens {
  /** A token younger than `RENEW_AFTER`, logging in when there is none. */
  readonly current: (region: string | undefined) => Effect.Effect<Token, WattTimeError>
  /** After `stale` was refused: a new token, or the one another caller already got in its place. */
  readonly renew: (region: string | undefined, stale: Token) => Effect.Effect<Token, WattTimeError>
}

interface State {
  readonly token: Option.Option<Token>
  readonly failure: Option.Option<{ readonly error: WattTimeError; readonly at: number }>
}

/**
 * `login` yields a token; `secrets` (the password and what is derived from it) are redacted
 * together with each token.
 */
export const makeTokens = (
  login: Effect.Effect<Redacted.Redacted<string>, WattTimeError>,
  secrets: ReadonlyArray<string>
): Effect.Effect<Tokens> =>
  Effect.map(
    SynchronizedRef.make<State>({ token: Option.none(), failure: Option.none() }),
    (state): Tokens => {
      const isFresh = (token: Token, now: number) => now - token.obtainedAt < Duration.toMillis(RENEW_AFTER)

      /**
       * Logs in, unless a login failed less than a minute ago: then that failure again. A failure
       * is a result here, not an error, so that it is kept in the state.
       */
      const logIn = (
        current: State,
        now: number
      ): Effect.Effect<readonly [Either.Either<Token, WattTimeError>, State]> => {
        const recent = Option.filter(
          current.failure,
          (failure) => now - failure.at < Duration.toMillis(LOGIN_FAILURE_MEMORY)
        )
        if (Option.isSome(recent)) return Effect.succeed([Either.left(recent.value.error), current])
        return Effect.either(login).pipe(
          Effect.zip(Clock.currentTimeMillis),
          Effect.map(([result, at]) =>
            Either.match(result, {
              onLeft: (error) => [Either.left(error), { ...current, failure: Option.some({ error, at }) }] as const,
              onRight: (value) => {
                const token = { value, obtainedAt: at, redactor: makeRedactor(...secrets, Redacted.value(value)) }
                return [Either.right(token), { token: Option.some(token), failure: Option.none() }] as const
              }
            })
          )
        )
      }

      const update = (
        region: string | undefined,
        keep: (token: Token, now: number) => boolean
      ): Effect.Effect<Token, WattTimeError> => {
        const decide = (current: State) =>
          Effect.flatMap(Clock.currentTimeMillis, (now) =>
            Option.isSome(current.token) && keep(current.token.value, now)
              ? Effect.succeed([Either.right(current.token.value), current] as const)
              : logIn(current, now))
        return SynchronizedRef.modifyEffect(state, decide).pipe(
          Effect.flatMap(identity),
          Effect.mapError((error) => forRegion(error, region))
        )
      }

      return {
        current: (region) => update(region, isFresh),
        renew: (region, stale) => update(region, (token, now) => token !== stale && isFresh(token, now))
      }
    }
  )
