/**
 * Command-line flags to simulator options. Pure: argv in, options or a message out. Values are
 * passed through as written (numbers as `Number(...)`), so `Simulator.start` validates flags and
 * code callers with the same schema and the same messages.
 */
import { Either } from "effect"
import { parseArgs } from "node:util"
import type { FaultRuleInput, Trigger } from "./Fault.js"
import type { SimulatorOptions } from "./Options.js"

export const DEFAULT_CLI_PORT = 8099

export const USAGE = `Usage: npm run simulator -- [flags]

Serves a fake Electricity Maps API on 127.0.0.1: GET /v4/carbon-intensity/latest,
/v4/carbon-intensity/forecast and /v4/zones, and the same routes under the legacy /v3.
Also WattTime's GET /login, /v3/forecast and /v3/my-access at the origin (WATTTIME_API_URL is
the origin; login sim-user / sim-password; region ISONE_WCMA is outside the plan).

  --port N              port to listen on (default ${DEFAULT_CLI_PORT}; 0 = any free port)
  --seed S              fixes all generated values and random draws (default 1)
  --api-key KEY         the only auth-token accepted (default: any non-empty token)
  --plan Z1,Z2          zones the key may query; others answer 401 (default: all zones)
  --latency-ms N        baseline latency of every API answer (default 0)
  --jitter-ms N         ± uniform jitter on that latency (default 0)
  --forecast-granularity hourly|15_minutes
                        spacing of forecast points (default hourly)
  --no-forecast-access  the plan has no forecasts: the forecast route answers 401
  --access-prefix P     write /zones access paths as P + path, P one of v3/ v4/ (default none)

Faults (see src/simulator/README.md for the JSON):
  --fault JSON          arm a fault rule (or a JSON array of rules); repeatable
  --server-error STATUS answer HTTP STATUS (500..599)
  --rate-limit-429 S    answer 429 with Retry-After: S
  --rate-limit-401      answer 401 {"error":"Rate limit exceeded"}
  --hang                never answer
  --slow MS             trickle the body, 16 bytes every MS milliseconds
  --invalid-json        answer the recorded non-JSON "No recent data" body
  --html-502            answer a proxy's HTML 502 page
  --null-intensity      answer carbonIntensity: null
  --huge-body BYTES     answer a JSON body of BYTES bytes, streamed
  --endless-body        answer a JSON body that never ends
  --no-recent-data      answer 404 "No recent data for zone"
  --fault-zone Z        the shorthand faults above apply to zone Z only (default: every zone)
  --fault-next N        ... to the next N requests only (default: always)
  --fault-probability P ... with probability P (0..1) per request

  --help                show this text

Control a running simulator over HTTP: GET /__simulator/stats, POST|PUT|DELETE /__simulator/faults.`

export type CliCommand =
  | { readonly _tag: "Help" }
  | { readonly _tag: "Run"; readonly options: SimulatorOptions }

const flags = {
  port: { type: "string" },
  seed: { type: "string" },
  "api-key": { type: "string" },
  plan: { type: "string" },
  "latency-ms": { type: "string" },
  "jitter-ms": { type: "string" },
  "forecast-granularity": { type: "string" },
  "no-forecast-access": { type: "boolean" },
  "access-prefix": { type: "string" },
  fault: { type: "string", multiple: true },
  "server-error": { type: "string" },
  "rate-limit-429": { type: "string" },
  "rate-limit-401": { type: "boolean" },
  hang: { type: "boolean" },
  slow: { type: "string" },
  "invalid-json": { type: "boolean" },
  "html-502": { type: "boolean" },
  "null-intensity": { type: "boolean" },
  "huge-body": { type: "string" },
  "endless-body": { type: "boolean" },
  "no-recent-data": { type: "boolean" },
  "fault-zone": { type: "string" },
  "fault-next": { type: "string" },
  "fault-probability": { type: "string" },
  help: { type: "boolean" }
} as const

type Values = ReturnType<typeof parseArgs<{ options: typeof flags; strict: true }>>["values"]

/** Rules from `--fault JSON`, not checked here: `start` decodes them with the fault schema. */
const jsonRules = (texts: ReadonlyArray<string>): Either.Either<ReadonlyArray<FaultRuleInput>, string> => {
  const rules: Array<FaultRuleInput> = []
  for (const text of texts) {
    try {
      const parsed: unknown = JSON.parse(text)
      // Cast is safe: start() validates every rule with the FaultRule schema before use.
      for (const rule of (Array.isArray(parsed) ? parsed : [parsed]) as Array<FaultRuleInput>) rules.push(rule)
    } catch {
      return Either.left(`--fault is not JSON: ${text}`)
    }
  }
  return Either.right(rules)
}

const shorthandFaults = (values: Values): ReadonlyArray<FaultRuleInput["fault"]> => [
  ...(values["server-error"] === undefined
    ? []
    : [{ kind: "server-error", status: Number(values["server-error"]) } as const]),
  ...(values["rate-limit-429"] === undefined
    ? []
    : [{ kind: "rate-limit-429", retryAfterSeconds: Number(values["rate-limit-429"]) } as const]),
  ...(values["rate-limit-401"] ? [{ kind: "rate-limit-401" } as const] : []),
  ...(values.hang ? [{ kind: "hang" } as const] : []),
  ...(values.slow === undefined ? [] : [{ kind: "slow", intervalMs: Number(values.slow) } as const]),
  ...(values["invalid-json"] ? [{ kind: "invalid-json" } as const] : []),
  ...(values["html-502"] ? [{ kind: "html-502" } as const] : []),
  ...(values["null-intensity"] ? [{ kind: "null-intensity" } as const] : []),
  ...(values["huge-body"] === undefined ? [] : [{ kind: "huge-body", bytes: Number(values["huge-body"]) } as const]),
  ...(values["endless-body"] ? [{ kind: "endless-body" } as const] : []),
  ...(values["no-recent-data"] ? [{ kind: "no-recent-data" } as const] : [])
]

const shorthandTrigger = (values: Values): Either.Either<Trigger, string> => {
  const next = values["fault-next"]
  const probability = values["fault-probability"]
  if (next !== undefined && probability !== undefined) {
    return Either.left("--fault-next and --fault-probability exclude each other")
  }
  if (next !== undefined) return Either.right({ next: Number(next) })
  if (probability !== undefined) return Either.right({ probability: Number(probability) })
  return Either.right("always")
}

const GRANULARITIES = ["hourly", "15_minutes"] as const
const ACCESS_PREFIXES = ["v3/", "v4/"] as const

const oneOf = <A extends string>(choices: ReadonlyArray<A>, value: string): value is A =>
  choices.some((choice) => choice === value)

/** Forecast and access flags; their values are a closed list, so they are checked here. */
const forecastOptions = (values: Values): Either.Either<Partial<SimulatorOptions>, string> => {
  const granularity = values["forecast-granularity"]
  const prefix = values["access-prefix"]
  if (granularity !== undefined && !oneOf(GRANULARITIES, granularity)) {
    return Either.left(`--forecast-granularity must be one of ${GRANULARITIES.join(", ")}, not ${granularity}`)
  }
  if (prefix !== undefined && !oneOf(ACCESS_PREFIXES, prefix)) {
    return Either.left(`--access-prefix must be one of ${ACCESS_PREFIXES.join(", ")}, not ${prefix}`)
  }
  return Either.right({
    ...(granularity === undefined ? {} : { forecastGranularity: granularity }),
    ...(values["no-forecast-access"] ? { forecastAccess: false } : {}),
    ...(prefix === undefined ? {} : { accessPrefix: prefix })
  })
}

export const parseCli = (argv: ReadonlyArray<string>): Either.Either<CliCommand, string> => {
  let values: Values
  try {
    values = parseArgs({ args: [...argv], options: flags, strict: true, allowPositionals: false }).values
  } catch (error) {
    return Either.left(error instanceof Error ? error.message : String(error))
  }
  if (values.help) return Either.right({ _tag: "Help" })
  return Either.gen(function*() {
    const fromJson = yield* jsonRules(values.fault ?? [])
    const when = yield* shorthandTrigger(values)
    const forecast = yield* forecastOptions(values)
    const zone = values["fault-zone"]
    const shorthand = shorthandFaults(values).map((fault): FaultRuleInput => ({
      fault,
      when,
      ...(zone === undefined ? {} : { zone })
    }))
    const options: SimulatorOptions = {
      port: values.port === undefined ? DEFAULT_CLI_PORT : Number(values.port),
      ...(values.seed === undefined ? {} : { seed: values.seed }),
      ...(values["api-key"] === undefined ? {} : { apiKey: values["api-key"] }),
      ...(values.plan === undefined
        ? {}
        : { plan: values.plan.split(",").map((z) => z.trim()).filter((z) => z !== "") }),
      ...(values["latency-ms"] === undefined ? {} : { latencyMs: Number(values["latency-ms"]) }),
      ...(values["jitter-ms"] === undefined ? {} : { jitterMs: Number(values["jitter-ms"]) }),
      ...forecast,
      faults: [...fromJson, ...shorthand]
    }
    return { _tag: "Run", options } as const
  })
}
