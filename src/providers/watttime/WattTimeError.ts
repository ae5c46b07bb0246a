/**
 * The WattTime adapter's error, before it crosses the port as a `SourceError`, and every way it is
 * made: which region (or the region list), which step (login or data), what kind, what WattTime
 * said, and what an operator can do. The log line comes from `message`.
 */
import { Data, type Duration } from "effect"
import {
  PASSWORD_FILE_VARIABLE,
  PASSWORD_VARIABLE,
  USERNAME_FILE_VARIABLE,
  USERNAME_VARIABLE
} from "../../config/WattTimeConfig.js"
import { formatRfc3339 } from "../../domain/Time.js"
import { SourceError, type SourceFailureReason } from "../../ports/CarbonSource.js"
import { reasonForStatus as byStatus } from "../http/ProviderCalls.js"
import type { HttpFailure } from "../http/ResponseBody.js"

/** What WattTime refused, where the status alone does not say it. */
export type Refusal =
  /** `/login` refused the username and password. */
  | "Credentials"
  /** No username and password are configured. */
  | "NoCredentials"
  /** A data call refused the bearer token: log in again, once. */
  | "Token"
  /** A data call refused a token just issued: not tried again in this call. */
  | "FreshToken"
  /** The account's plan does not cover the region (403 "Invalid scope"). */
  | "Plan"
  /** The region was refused as outside the plan before; not asked again yet. */
  | "PlanKnown"

export type Step = "login" | "data"

const LOGIN_VARIABLES =
  `${USERNAME_VARIABLE} and ${PASSWORD_VARIABLE} (or ${USERNAME_FILE_VARIABLE} and ${PASSWORD_FILE_VARIABLE})`

const REFUSAL_HINTS: Record<Refusal, string> = {
  Credentials: `WattTime refused the login: check ${LOGIN_VARIABLES}; tried again next poll`,
  NoCredentials: `set ${LOGIN_VARIABLES}; WattTime answers only after a login`,
  Token: "WattTime refused the token; logging in again",
  FreshToken: "WattTime refused a token it had just issued; tried again next poll",
  Plan:
    "the WattTime account's plan does not cover this region (every account may query CAISO_NORTH); said once, asked again hourly",
  PlanKnown: "outside the WattTime account's plan, as WattTime said before"
}

const REASON_HINTS: Partial<Record<SourceFailureReason, string>> = {
  RateLimited: "WattTime allows 3,000 requests per 5 minutes (10/s) and 100 logins per 5 minutes",
  BodyTooLarge: "the answer exceeded MAX_RESPONSE_BYTES",
  Timeout: "no complete answer within REQUEST_TIMEOUT_SECONDS",
  ZoneNotFound: "check the region code (case-sensitive), e.g. with `carbon-poller zones`"
}

export class WattTimeError extends Data.TaggedError("WattTimeError")<{
  /** The region asked for; undefined for the region list (`/v3/my-access`). */
  readonly region: string | undefined
  readonly step: Step
  readonly reason: SourceFailureReason
  readonly refusal?: Refusal | undefined
  readonly status?: number | undefined
  /** What WattTime said, one line, redacted. */
  readonly said?: string | undefined
  /** Our own words when WattTime said nothing we can show (a decode problem, a remembered refusal). */
  readonly note?: string | undefined
  readonly retryAfter?: Duration.Duration | undefined
  readonly cause?: unknown
}> {
  /** True when logging in again may help: the token was refused. */
  get tokenRefused(): boolean {
    return this.refusal === "Token"
  }

  override get message(): string {
    const subject = this.region !== undefined
      ? `WattTime region ${this.region}${this.step === "login" ? " (login)" : ""}`
      : this.step === "login"
      ? "WattTime login"
      : "WattTime region list"
    const status = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const said = [this.said, this.note].filter((part) => part !== undefined && part !== "").join("; ")
    const hint = this.refusal !== undefined ? REFUSAL_HINTS[this.refusal] : REASON_HINTS[this.reason]
    return `${subject}: ${this.reason}${status}${said === "" ? "" : `: ${said}`}${hint ? ` — ${hint}` : ""}`
  }
}

/** A request that got no usable answer. */
export const fromHttpFailure = (region: string | undefined, step: Step, failure: HttpFailure): WattTimeError =>
  new WattTimeError({
    region,
    step,
    reason: failure.reason,
    status: failure.status,
    note: failure.message,
    cause: failure.cause
  })

/** A 2xx answer that does not say what it should. */
export const badResponse = (region: string | undefined, step: Step, status: number, problem: string): WattTimeError =>
  new WattTimeError({ region, step, reason: "BadResponse", status, note: `unexpected answer: ${problem}` })

export const noData = (region: string, status: number, problem: string): WattTimeError =>
  new WattTimeError({ region, step: "data", reason: "NoData", status, note: problem })

/** Nothing to log in with: said before any request is made. */
export const noCredentials = new WattTimeError({
  region: undefined,
  step: "login",
  reason: "Unauthorized",
  refusal: "NoCredentials"
})

/** A login failure as the failure of the call that needed the login. */
export const forRegion = (error: WattTimeError, region: string | undefined): WattTimeError =>
  new WattTimeError({
    region,
    step: error.step,
    reason: error.reason,
    refusal: error.refusal,
    status: error.status,
    said: error.said,
    note: error.refusal === "NoCredentials" && region === undefined
      ? `WattTime's region list needs ${USERNAME_VARIABLE}/${PASSWORD_VARIABLE}`
      : error.note,
    retryAfter: error.retryAfter,
    cause: error.cause
  })

/** The same region refused again before its next check: no call made, WattTime's words not repeated. */
export const planKnown = (region: string, firstAt: number, recheckAt: number): WattTimeError =>
  new WattTimeError({
    region,
    step: "data",
    reason: "Forbidden",
    refusal: "PlanKnown",
    note: `refused at ${formatRfc3339(firstAt)}; asked again after ${formatRfc3339(recheckAt)}`
  })

/** A freshly issued token refused as well: the call ends here, it does not log in again. */
export const freshTokenRefused = (error: WattTimeError): WattTimeError =>
  new WattTimeError({
    region: error.region,
    step: error.step,
    reason: error.reason,
    refusal: "FreshToken",
    status: error.status,
    said: error.said
  })

/**
 * A non-2xx answer. A refusal's meaning depends on the step and the body: on `/login` a 401 or 403
 * is the username and password; on a data call a 401, or a 403 that is not WattTime's own JSON
 * (nginx's HTML page), is the token; a JSON 403 for a region is its plan.
 */
export const refused = (
  region: string | undefined,
  step: Step,
  answer: {
    readonly status: number
    readonly text: string
    readonly said: string | undefined
    readonly retryAfter: Duration.Duration | undefined
  }
): WattTimeError => {
  const { retryAfter, said, status } = answer
  const refusal: Refusal | undefined = status !== 401 && status !== 403
    ? undefined
    : step === "login"
    ? "Credentials"
    : status === 401 || !isJsonObject(answer.text)
    ? "Token"
    : region === undefined
    ? undefined
    : "Plan"
  // Bad credentials are unauthorized whichever status said so.
  const reason = refusal === "Credentials" ? "Unauthorized" : reasonForStatus(status)
  return new WattTimeError({ region, step, reason, refusal, status, said, retryAfter })
}

const isJsonObject = (text: string): boolean => {
  try {
    const parsed: unknown = JSON.parse(text)
    return typeof parsed === "object" && parsed !== null
  } catch {
    return false
  }
}

// 422 is FastAPI's validation error: a bad request like a 400.
const reasonForStatus = (status: number): SourceFailureReason => status === 422 ? "BadRequest" : byStatus(status)

/** The one way this adapter's errors cross the port. */
export const toSourceError = (error: WattTimeError): SourceError =>
  new SourceError({
    zone: error.region,
    reason: error.reason,
    detail: error.message,
    providerMessage: error.said,
    status: error.status,
    alreadyReported: error.refusal === "PlanKnown"
  })
