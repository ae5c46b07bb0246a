/**
 * Log format and level from the configuration: JSON lines for containers and log shippers,
 * readable text on a terminal. Exactly one logger is installed (replacing the default), so each
 * line is printed once even under `NodeRuntime.runMain`.
 */
import { Effect, Layer, Logger } from "effect"
import { PollerConfig } from "./Config.js"

export const layer = Layer.unwrapEffect(
  Effect.map(PollerConfig, (settings) =>
    Layer.merge(settings.logFormat === "json" ? Logger.json : Logger.pretty, Logger.minimumLogLevel(settings.logLevel))
  )
)
