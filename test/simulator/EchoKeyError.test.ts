/** The simulator's `echo-key-error` fault: an error message that echoes the key at an offset, in each escaped form. */
import { assert, describe, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Simulator from "../../src/simulator/Simulator.js"
import { getText, latestUrl, provideClient } from "./support.js"

const KEY = "ab\"c/d\\e-K3y"

const messageOf = (text: string): string => {
  const parsed: unknown = JSON.parse(text)
  const message = typeof parsed === "object" && parsed !== null ? Reflect.get(parsed, "message") : undefined
  return typeof message === "string" ? message : ""
}

describe("echo-key-error", () => {
  it.scoped("answers the status with a message echoing the key after `offset` characters, in each escape", () =>
    Effect.gen(function*() {
      const sim = yield* Simulator.start({ apiKey: KEY })
      const cases = [
        { escape: "none", raw: "ab\\\"c/d\\\\e-K3y" },
        { escape: "slash", raw: "ab\\\"c\\/d\\\\e-K3y" },
        { escape: "unicode", raw: "\\u0061\\u0062\\u0022" },
        { escape: "mixed", raw: "\\u0061b\\u0022c\\u002fd\\u005C" }
      ] as const
      for (const { escape, raw } of cases) {
        yield* sim.setFaults([{ fault: { kind: "echo-key-error", status: 500, offset: 290, escape } }])
        const answer = yield* getText(latestUrl(sim.baseUrl, "DE"), KEY)
        assert.strictEqual(answer.status, 500)
        assert.include(answer.text, raw, escape)
        assert.strictEqual(messageOf(answer.text), `${"x".repeat(290)}${KEY} is not a valid token`)
      }
      yield* sim.setFaults([{ fault: { kind: "echo-key-error", part: "first-half" }, route: "zones" }])
      const half = yield* getText(`${sim.baseUrl}/zones`, KEY)
      assert.strictEqual(half.status, 401)
      assert.strictEqual(messageOf(half.text), `${KEY.slice(0, 6)} is not a valid token`)
    }).pipe(provideClient))
})
