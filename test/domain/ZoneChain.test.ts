import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { parseZoneChains, providersOf } from "../../src/domain/ZoneChain.js"

const chainsOf = (raw: string) => Either.getOrThrow(parseZoneChains(raw))
const problemOf = (raw: string) =>
  Either.match(parseZoneChains(raw), { onLeft: (problem) => problem, onRight: () => "" })

describe("ZONES entries", () => {
  it("a plain key is an Electricity Maps zone, stored under the key as written", () => {
    const [de, em] = chainsOf("DE, em:FR")
    assert.deepStrictEqual(de, { key: "DE", links: [{ key: "DE", provider: "electricitymaps", id: "DE" }] })
    assert.deepStrictEqual(em?.links[0], { key: "em:FR", provider: "electricitymaps", id: "FR" })
  })

  it("a chain is stored under its first key and keeps its links in order", () => {
    const [gb] = chainsOf("GB | ukci:national")
    assert.strictEqual(gb?.key, "GB")
    assert.deepStrictEqual(gb?.links.map((link) => [link.provider, link.id]), [["electricitymaps", "GB"], [
      "ukci",
      "national"
    ]])
  })

  it("drops an entry whose key repeats an earlier one", () => {
    assert.deepStrictEqual(chainsOf("ukci:13,ukci:13|DE,watttime:CAISO_NORTH").map((chain) => chain.key), [
      "ukci:13",
      "watttime:CAISO_NORTH"
    ])
  })

  it("names every bad link in one message", () => {
    const message = problemOf("US/CAL,GB|,watttime:a b")
    assert.include(message, "\"US/CAL\"")
    assert.include(message, "empty link")
    assert.include(message, "\"watttime:a b\"")
  })

  it("refuses a chain that names one provider twice and an empty list", () => {
    assert.isTrue(Either.isLeft(parseZoneChains("DE|FR")))
    assert.match(problemOf(" , "), /at least one zone/)
  })

  it("knows every provider a configuration asks, fallbacks included", () => {
    assert.deepStrictEqual([...providersOf(chainsOf("ukci:1,GB|ukci:national"))].sort(), ["electricitymaps", "ukci"])
  })
})
