/**
 * The key leaves the process in no form and no part: an upstream that echoes it where a message
 * is cut, in JSON's escaped forms, or only half of it, gets `<redacted>` into the log and the file,
 * never a fragment of the key.
 */
import { FileSystem } from "@effect/platform"
import { NodeFileSystem } from "@effect/platform-node"
import { assert, describe, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted, Schema, TestClock } from "effect"
import { loadConfiguration, MAX_KEY_FILE_BYTES } from "../../../src/config/Configuration.js"
import { CacheFile } from "../../../src/domain/CacheFile.js"
import { Poller } from "../../../src/poll/Poller.js"
import { toCatalogue } from "../../../src/providers/electricitymaps/ElectricityMapsSource.js"
import { makeRedactor, MIN_FRAGMENT } from "../../../src/providers/http/Redaction.js"
import { summarizeErrorBody } from "../../../src/providers/http/ResponseBody.js"
import { respond } from "../../support/FakeApi.js"
import { latestBody } from "../../support/fixtures.js"
import { makeHarness } from "../../support/harness.js"

const NOW = Date.UTC(2026, 10, 27, 12, 20, 0)
const TARGET = "/cache/carbon_cache.json"
/** 25 characters, as in the review that found the cut: a cut at 300 used to leave 12 of them. */
const KEY = "Zq7wK2pX9mB4vN8cR1tY6uJ3h"

/** Every run of `MIN_FRAGMENT` characters of `key` found in `text`. */
const fragmentsIn = (text: string, key: string): Array<string> => {
  const found: Array<string> = []
  for (let i = 0; i + MIN_FRAGMENT <= key.length; i++) {
    const fragment = key.slice(i, i + MIN_FRAGMENT)
    if (text.includes(fragment)) found.push(fragment)
  }
  return found
}

const unicodeEscaped = (text: string, upper = false) =>
  [...text].map((char) => {
    const hex = char.charCodeAt(0).toString(16).padStart(4, "0")
    return `\\u${upper ? hex.toUpperCase() : hex}`
  }).join("")

/** The key JSON-escaped one character at a time, cycling through the forms JSON allows. */
const mixedEscaped = (key: string) =>
  [...key].map((char, i) =>
    char === "\""
      ? "\\\""
      : char === "\\"
      ? "\\\\"
      : char === "/"
      ? "\\/"
      : i % 2 === 0
      ? unicodeEscaped(char, i % 4 === 0)
      : char
  ).join("")

describe("the redactor", () => {
  const redactor = makeRedactor(KEY)

  it("replaces a part of the key as well as the whole: a prefix, a suffix, a middle", () => {
    for (const part of [KEY.slice(0, 12), KEY.slice(-8), KEY.slice(5, 5 + MIN_FRAGMENT), KEY]) {
      const redacted = redactor.text(`before ${part} after`)
      assert.deepStrictEqual(fragmentsIn(redacted, KEY), [], redacted)
      assert.include(redacted, "<redacted>")
      assert.match(redacted, /^before .*after$/)
    }
  })

  it("leaves text with fewer than MIN_FRAGMENT consecutive characters of the key alone", () => {
    const text = `zone DE ${KEY.slice(0, MIN_FRAGMENT - 1)} is fine`
    assert.strictEqual(redactor.text(text), text)
  })

  it("finds the key written with every JSON escape, including \\\" and \\\\", () => {
    const key = "ab\"cd\\ef/gh-1234"
    const keyed = makeRedactor(key)
    for (
      const written of [
        JSON.stringify(key).slice(1, -1), // \" and \\
        JSON.stringify(key).slice(1, -1).replaceAll("/", "\\/"),
        unicodeEscaped(key),
        unicodeEscaped(key, true),
        mixedEscaped(key),
        key
      ]
    ) {
      const redacted = keyed.text(`{"message":"token ${written} refused"}`)
      assert.strictEqual(redacted, `{"message":"token <redacted> refused"}`, written)
    }
  })

  it("finds half of an escaped key", () => {
    const redacted = redactor.text(`echo ${unicodeEscaped(KEY.slice(0, 10))}`)
    assert.strictEqual(redacted, "echo <redacted>")
  })

  it("redacts before it shortens: a message cut where the key begins keeps no part of it", () => {
    // The summary reads `Invalid auth-token: <message>`: the key starts at 20 + offset, and the cut
    // at 300 would keep 280 - offset of its characters.
    for (let offset = 250; offset < 280; offset++) {
      const body = JSON.stringify({ error: "Invalid auth-token", message: `${"x".repeat(offset)}${KEY} is not valid` })
      const summary = summarizeErrorBody(body, redactor.text) ?? ""
      assert.deepStrictEqual(fragmentsIn(summary, KEY), [], `offset ${offset}: ${summary.slice(-40)}`)
      // Not even the few characters a cut right after the key's start would leave behind.
      assert.isFalse(summary.endsWith(`${KEY.slice(0, 280 - offset)}…`), `offset ${offset}: ${summary.slice(-40)}`)
    }
  })

  it("redacts the names of a zone catalogue that echoes the key (the zones command prints them)", () => {
    const catalogue = toCatalogue({ DE: { zoneName: `Germany ${KEY}`, countryName: KEY.slice(3, 15) } }, redactor)
    assert.deepStrictEqual(catalogue.map(({ country, name }) => [name, country]), [[
      "Germany <redacted>",
      "<redacted>"
    ]])
  })

  it("replaces control characters in what the API said", () => {
    assert.strictEqual(summarizeErrorBody("{\"message\":\"a\\u0000b\\u001b[2Jc\"}", redactor.text), "a?b?[2Jc")
  })
})

describe("an upstream echoing the key into the service", () => {
  const decodeFile = Schema.decodeUnknownSync(Schema.parseJson(CacheFile))

  const pollWith = (deAnswer: ReturnType<typeof respond>) =>
    Effect.gen(function*() {
      yield* TestClock.setTime(NOW)
      const h = makeHarness({
        api: { intensities: { DE: 300, FR: 50 }, scripts: { DE: [deAnswer] } },
        settings: { zones: ["DE", "FR"], maxRetries: 0, apiKey: Redacted.make(KEY) }
      })
      yield* h.run(Effect.flatMap(Poller, (poller) => poller.pollOnce(["DE", "FR"])))
      const text = h.memory.read(TARGET) ?? ""
      return { text, file: decodeFile(text), log: h.logLines.join("\n") }
    })

  // The message follows `Invalid auth-token: `; it is cut at 300 characters in all.
  for (const offset of [0, 150, 256, 268, 275, 279]) {
    it.effect(`a 401 echoing the key ${offset} characters into its message leaves no part of it (log, unavailable)`, () =>
      Effect.gen(function*() {
        const body = JSON.stringify({ error: "Invalid auth-token", message: `${"x".repeat(offset)}${KEY} is invalid` })
        const { file, log, text } = yield* pollWith(respond(401, body))
        assert.strictEqual(file.unavailable?.["DE"]?.reason, "Unauthorized")
        assert.deepStrictEqual(fragmentsIn(text, KEY), [])
        assert.deepStrictEqual(fragmentsIn(log, KEY), [])
      }))
  }

  it.effect("an undecodable answer quoting the key where its problem list is cut leaves no part of it", () =>
    Effect.gen(function*() {
      // The problem list reads `isEstimated: Expected boolean, actual "<value>"`: put the key's start
      // right before its 200-character cut.
      const prefix = "isEstimated: Expected boolean, actual \""
      const value = `${"y".repeat(200 - prefix.length - 3)}${KEY}`
      const { file, log, text } = yield* pollWith(respond(200, latestBody("DE", 300, { isEstimated: value })))
      const message = file.unavailable?.["DE"]?.message ?? ""
      assert.strictEqual(file.unavailable?.["DE"]?.reason, "BadResponse")
      assert.deepStrictEqual(fragmentsIn(text, KEY), [])
      assert.deepStrictEqual(fragmentsIn(log, KEY), [])
      assert.notInclude(message, `${KEY.slice(0, 3)}…`)
    }))

  it.effect("half of the key echoed in a field the cache keeps is replaced", () =>
    Effect.gen(function*() {
      const { file, text } = yield* pollWith(
        respond(200, latestBody("DE", 300, { estimationMethod: `TIME_SLICER ${KEY.slice(0, 13)}` }))
      )
      assert.strictEqual(file.regions["DE"]?.estimationMethod, "TIME_SLICER <redacted>")
      assert.deepStrictEqual(fragmentsIn(text, KEY), [])
    }))

  it.effect("an HTML error page echoing the key escaped in its title leaves no part of it", () =>
    Effect.gen(function*() {
      const page = `<html><title>${"z".repeat(295)}${mixedEscaped(KEY)}</title></html>`
      const { log, text } = yield* pollWith(respond(502, page, { "content-type": "text/html" }))
      assert.deepStrictEqual(fragmentsIn(text, KEY), [])
      assert.deepStrictEqual(fragmentsIn(log, KEY), [])
    }))
})

describe("the key file", () => {
  const load = (env: Record<string, string>) =>
    loadConfiguration({ stdoutIsTerminal: false, keyRequired: true }).pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))
    )

  it.scoped("is read only up to its bound: a larger file is refused with the bound named, never read whole", () =>
    Effect.gen(function*() {
      const fs = yield* FileSystem.FileSystem
      const dir = yield* fs.makeTempDirectoryScoped()
      yield* fs.writeFileString(`${dir}/key`, `${KEY}\n${"#".repeat(10 * 1024 * 1024)}`)
      const error = yield* Effect.flip(load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/key` }))
      assert.match(
        error.message,
        new RegExp(
          `ELECTRICITY_MAPS_API_KEY_FILE=.*larger than ${MAX_KEY_FILE_BYTES} bytes; it must hold only the API key`
        )
      )
      assert.notInclude(error.message, KEY)
      yield* fs.writeFileString(`${dir}/small`, `${KEY}\n`)
      const settings = yield* load({ ELECTRICITY_MAPS_API_KEY_FILE: `${dir}/small` })
      assert.strictEqual(Redacted.value(settings.api.apiKey), KEY)
    }).pipe(Effect.provide(NodeFileSystem.layer)))

  it.effect("a key longer than any real one is refused, without showing it", () =>
    Effect.gen(function*() {
      const long = "k".repeat(600)
      const error = yield* Effect.flip(load({ ELECTRICITY_MAPS_API_KEY: long }))
      assert.match(
        error.message,
        /ELECTRICITY_MAPS_API_KEY="<redacted>": the key is 600 characters long; an API key has at most 512/
      )
      assert.notInclude(error.message, long)
    }).pipe(Effect.provide(NodeFileSystem.layer)))
})
