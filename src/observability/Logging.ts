/**
 * Log lines: one JSON object per line for containers and log shippers (`timestamp`, `logLevel`,
 * `message`, `annotations`, and `cause` when there is one), or one readable line on a terminal.
 * Exactly one logger is installed (replacing the default), so each line is printed once even under
 * `NodeRuntime.runMain`. Text that came from outside (an API's message) may carry ANSI escapes or
 * control characters; they are replaced, so a log line cannot repaint a terminal or forge a line.
 */
import { Cause, Effect, type HashMap, Inspectable, Layer, Logger } from "effect"
import { type LogFormat, LoggingConfig } from "../config/LoggingConfig.js"

// ESC-introduced sequences first (so no fragment of one survives), then any other control character.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const ANSI_SEQUENCE = /\u001b(?:\[[0-9;?]*[ -/]*[@-~]|[@-Z\\-_])/g
// eslint-disable-next-line no-control-regex -- as above
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g

/** One printable line: escapes removed, control characters shown as `?`, newlines kept only in causes. */
export const sanitize = (text: string): string =>
  text.replace(ANSI_SEQUENCE, "").replace(CONTROL, "?").replace(/\n/g, " ")

const messageText = (message: unknown): string => {
  const parts = Array.isArray(message) ? message : [message]
  return sanitize(parts.map((part) => (typeof part === "string" ? part : Inspectable.toStringUnknown(part))).join(" "))
}

const annotationsOf = (annotations: HashMap.HashMap<string, unknown>): Record<string, unknown> => {
  const out: Record<string, unknown> = {}
  for (const [key, value] of annotations) out[key] = typeof value === "string" ? sanitize(value) : value
  return out
}

export const jsonLogger = Logger.make(({ annotations, cause, date, logLevel, message }) =>
  JSON.stringify({
    timestamp: date.toISOString(),
    logLevel: logLevel.label,
    message: messageText(message),
    ...(Cause.isEmpty(cause) ? {} : { cause: sanitize(Cause.pretty(cause)) }),
    annotations: annotationsOf(annotations)
  })
)

export const prettyLogger = Logger.make(({ cause, date, logLevel, message }) =>
  `${date.toISOString().slice(11, 23)} ${logLevel.label.padEnd(5)} ${messageText(message)}${
    Cause.isEmpty(cause) ? "" : `\n${Cause.pretty(cause).replace(ANSI_SEQUENCE, "")}`
  }`
)

const loggerFor = (format: LogFormat) =>
  Logger.replace(Logger.defaultLogger, Logger.withConsoleLog(format === "json" ? jsonLogger : prettyLogger))

export const layer = Layer.unwrapEffect(
  Effect.map(
    LoggingConfig,
    (settings) => Layer.merge(loggerFor(settings.logFormat), Logger.minimumLogLevel(settings.logLevel))
  )
)
