/** Log format and level: JSON lines for containers and log shippers, readable text on a terminal. */
import { Config, Context, LogLevel, Schema } from "effect"
import { oneOf, variable } from "./Variables.js"

export type LogFormat = "json" | "pretty"

export interface LoggingSettings {
  readonly logFormat: LogFormat
  readonly logLevel: LogLevel.LogLevel
}

export class LoggingConfig extends Context.Tag("carbon-poller/LoggingConfig")<LoggingConfig, LoggingSettings>() {}

const LOG_LEVELS = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
} as const

const LEVEL_NAMES = Object.keys(LOG_LEVELS).filter((name): name is keyof typeof LOG_LEVELS => name in LOG_LEVELS)

/** A level's name in any case, spaces around allowed. */
const LevelName = Schema.Trim.pipe(Schema.compose(Schema.Lowercase), Schema.compose(Schema.Literal(...LEVEL_NAMES)))

/** The format defaults to what suits where stdout goes, so it depends on the terminal. */
export const loggingConfig = (options: { readonly stdoutIsTerminal: boolean }): Config.Config<LoggingSettings> =>
  Config.all({
    logFormat: oneOf<LogFormat>("LOG_FORMAT", ["json", "pretty"], options.stdoutIsTerminal ? "pretty" : "json"),
    logLevel: variable("LOG_LEVEL", LevelName, {
      expected: `must be one of ${LEVEL_NAMES.join(", ")}`,
      fallback: "info"
    }).pipe(Config.map((name) => LOG_LEVELS[name]))
  })
