import { assert, describe, it } from "@effect/vitest"
import { Effect, Either } from "effect"
import { spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { fileURLToPath } from "node:url"
import { DEFAULT_CLI_PORT, parseCli } from "../../src/simulator/Cli.js"
import * as Simulator from "../../src/simulator/Simulator.js"

const run = (argv: ReadonlyArray<string>) => {
  const parsed = parseCli(argv)
  if (Either.isLeft(parsed)) throw new Error(parsed.left)
  if (parsed.right._tag !== "Run") throw new Error("expected options")
  return parsed.right.options
}

describe("Simulator CLI", () => {
  it("maps flags to options", () => {
    assert.deepStrictEqual(run([]), { port: DEFAULT_CLI_PORT, faults: [] })
    assert.deepStrictEqual(
      run([
        "--port",
        "0",
        "--seed",
        "7",
        "--api-key",
        "k",
        "--plan",
        "DE, FR,,US-CAL-CISO",
        "--latency-ms",
        "20",
        "--jitter-ms",
        "5"
      ]),
      { port: 0, seed: "7", apiKey: "k", plan: ["DE", "FR", "US-CAL-CISO"], latencyMs: 20, jitterMs: 5, faults: [] }
    )
    assert.deepStrictEqual(
      run(["--forecast-granularity", "15_minutes", "--no-forecast-access", "--access-prefix", "v3/"]),
      {
        port: DEFAULT_CLI_PORT,
        forecastGranularity: "15_minutes",
        forecastAccess: false,
        accessPrefix: "v3/",
        faults: []
      }
    )
  })

  it("turns fault flags into rules", () => {
    assert.deepStrictEqual(
      run(["--server-error", "503", "--hang", "--fault-zone", "DE", "--fault-next", "2"]).faults,
      [
        { fault: { kind: "server-error", status: 503 }, when: { next: 2 }, zone: "DE" },
        { fault: { kind: "hang" }, when: { next: 2 }, zone: "DE" }
      ]
    )
    assert.deepStrictEqual(
      run(["--huge-body", "1000", "--fault-probability", "0.25"]).faults,
      [{ fault: { kind: "huge-body", bytes: 1000 }, when: { probability: 0.25 } }]
    )
    assert.deepStrictEqual(
      run(["--fault", "{\"fault\":{\"kind\":\"null-intensity\"}}", "--fault", "[{\"fault\":{\"kind\":\"html-502\"}}]"])
        .faults,
      [{ fault: { kind: "null-intensity" } }, { fault: { kind: "html-502" } }]
    )
  })

  it("explains bad flags", () => {
    assert.isTrue(Either.isLeft(parseCli(["--bogus"])))
    assert.isTrue(Either.isLeft(parseCli(["--fault", "{not json"])))
    assert.isTrue(Either.isLeft(parseCli(["--hang", "--fault-next", "1", "--fault-probability", "1"])))
    assert.isTrue(Either.isLeft(parseCli(["--forecast-granularity", "daily"])))
    assert.isTrue(Either.isLeft(parseCli(["--access-prefix", "v5/"])))
    assert.deepStrictEqual(parseCli(["--help"]), Either.right({ _tag: "Help" } as const))
  })

  it.scoped("leaves value checks to start(), with the schema's message", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(Simulator.start(run(["--port", "0", "--latency-ms", "soon"])))
      assert.strictEqual(error.reason, "InvalidOptions")
      assert.include(error.message, "latencyMs")
    }))

  it.live(
    "prints its URL, serves, and exits 0 on SIGTERM",
    () =>
      Effect.async<{ readonly line: string; readonly status: number; readonly code: number | null }>((resume) => {
        const main = fileURLToPath(new URL("../../src/simulator/main.ts", import.meta.url))
        const tsx = fileURLToPath(new URL("../../node_modules/tsx/dist/cli.mjs", import.meta.url))
        const child = spawn(process.execPath, [tsx, main, "--port", "0", "--hang"], {
          stdio: ["ignore", "pipe", "inherit"]
        })
        createInterface({ input: child.stdout }).once("line", (line) => {
          const baseUrl = line.replace("simulator listening on ", "").split(" ")[0] ?? ""
          // A hanging request must not hold the process open past the signal.
          fetch(`${baseUrl}/carbon-intensity/latest?zone=DE`, { headers: { "auth-token": "k" } }).catch(() => undefined)
          fetch(`${baseUrl.replace(/\/v4$/, "")}/__simulator/health`).then((response) => {
            child.once("exit", (code) => resume(Effect.succeed({ line, status: response.status, code })))
            child.kill("SIGTERM")
          }, (error: unknown) => resume(Effect.die(error)))
        })
        return Effect.sync(() => child.kill("SIGKILL"))
      }).pipe(
        Effect.map(({ code, line, status }) => {
          assert.match(line, /^simulator listening on (http:\/\/127\.0\.0\.1:\d+)\/v4 \(legacy v3: \1\/v3\)$/)
          assert.strictEqual(status, 200)
          assert.strictEqual(code, 0)
        })
      ),
    20_000
  )
})
