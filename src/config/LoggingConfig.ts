/** Log format and level: JSON lines for containers and log shippers, readable text on a terminal. */
import { Config, ConfigError, Context, Either, LogLevel } from "effect"
import { oneOf } from "./ValueShapes.js"

export type LogFormat = "json" | "pretty"

export interface LoggingSettings {
  readonly logFormat: LogFormat
  readonly logLevel: LogLevel.LogLevel
}

export class LoggingConfig extends Context.Tag("carbon-poller/LoggingConfig")<LoggingConfig, LoggingSettings>() {}

const LOG_LEVELS: Readonly<Record<string, LogLevel.LogLevel>> = {
  all: LogLevel.All,
  trace: LogLevel.Trace,
  debug: LogLevel.Debug,
  info: LogLevel.Info,
  warn: LogLevel.Warning,
  warning: LogLevel.Warning,
  error: LogLevel.Error,
  fatal: LogLevel.Fatal,
  none: LogLevel.None
}

/** The format defaults to what suits where stdout goes, so it depends on the terminal. */
export const loggingConfig = (options: { readonly stdoutIsTerminal: boolean }): Config.Config<LoggingSettings> =>
  Config.all({
    logFormat: oneOf<LogFormat>("LOG_FORMAT", ["json", "pretty"], options.stdoutIsTerminal ? "pretty" : "json"),
    logLevel: Config.string("LOG_LEVEL").pipe(
      Config.mapOrFail((raw) => {
        const level = LOG_LEVELS[raw.trim().toLowerCase()]
        return level !== undefined
          ? Either.right(level)
          : Either.left(ConfigError.InvalidData([], `must be one of ${Object.keys(LOG_LEVELS).join(", ")}`))
      }),
      Config.withDefault(LogLevel.Info)
    )
  })
