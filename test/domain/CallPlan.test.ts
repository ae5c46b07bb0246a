import { assert, describe, it } from "@effect/vitest"
import { Either } from "effect"
import { type CallPlanSettings, fittingIntervals, planCalls } from "../../src/domain/CallPlan.js"
import type { ProviderId } from "../../src/domain/Provider.js"
import { parseZoneChains } from "../../src/domain/ZoneChain.js"

const FACTS = {
  electricitymaps: { catalogueCallsAtStart: 1, forecasts: true },
  ukci: { catalogueCallsAtStart: 0, forecasts: true },
  watttime: { catalogueCallsAtStart: 1, loginEveryMinutes: 25, forecasts: true }
} as const

const settings = (zones: string, pollIntervalMinutes: number, forecastRefreshMinutes?: number): CallPlanSettings => ({
  chains: Either.getOrThrow(parseZoneChains(zones)),
  pollIntervalMinutes,
  forecastRefreshMinutes,
  facts: (provider: ProviderId) => FACTS[provider]
})

describe("planned calls", () => {
  it("counts first links per poll, forecasts per refresh, the catalogue at start and logins", () => {
    const plan = planCalls(settings("DE,FR|ukci:national,ukci:13,watttime:CAISO_NORTH", 5, 60))
    assert.deepStrictEqual(plan, [
      // 2 zones × 12 polls + 2 forecasts + 1 catalogue; 30 days: 2 × 8640 + 2 × 720 + 1
      { provider: "electricitymaps", zones: 2, fallbackFor: 0, perHour: 27, per30Days: 18_721 },
      // ukci:13, and the fallback of FR
      { provider: "ukci", zones: 1, fallbackFor: 1, perHour: 13, per30Days: 9_360 },
      // 12 polls + 1 forecast + 1 catalogue + logins at 0, 25 and 50 minutes
      { provider: "watttime", zones: 1, fallbackFor: 0, perHour: 17, per30Days: 8_640 + 720 + 1 + 1_728 }
    ])
  })

  it("plans the catalogue call at start of a provider named only as a fallback", () => {
    // The zone check asks every named provider's catalogue, Electricity Maps' /zones included.
    assert.deepStrictEqual(planCalls(settings("ukci:1|GB", 5)), [
      { provider: "ukci", zones: 1, fallbackFor: 0, perHour: 12, per30Days: 8_640 },
      { provider: "electricitymaps", zones: 0, fallbackFor: 1, perHour: 1, per30Days: 1 }
    ])
    // WattTime's region list needs a login first.
    assert.deepStrictEqual(planCalls(settings("ukci:1|watttime:CAISO_NORTH", 5))[1], {
      provider: "watttime",
      zones: 0,
      fallbackFor: 1,
      perHour: 2,
      per30Days: 2
    })
  })

  it("leaves forecasts out when they are off", () => {
    assert.strictEqual(planCalls(settings("DE", 5))[0]?.perHour, 13)
  })
})

describe("a monthly budget", () => {
  it("gives the smallest poll interval that fits, keeping the forecast refresh when it can", () => {
    const config = settings("DE,FR", 5, 60)
    // 2 zones × 43200/interval + 2 × 720 + 1 ≤ 10000 → interval ≥ 10.09…
    const fit = fittingIntervals(config, "electricitymaps", 10_000)
    assert.deepStrictEqual(fit, { pollIntervalMinutes: 10.1, forecastRefreshMinutes: undefined })
    const [planned] = planCalls({ ...config, pollIntervalMinutes: 10.1 })
    assert.isAtMost(planned!.per30Days, 10_000)
    const [tighter] = planCalls({ ...config, pollIntervalMinutes: 10 })
    assert.isAbove(tighter!.per30Days, 10_000)
  })

  it("slows the forecasts too when they alone would not fit", () => {
    const fit = fittingIntervals(settings("DE,FR", 5, 5), "electricitymaps", 2_000)
    assert.isDefined(fit?.forecastRefreshMinutes)
    const [planned] = planCalls({
      ...settings("DE,FR", fit!.pollIntervalMinutes, fit!.forecastRefreshMinutes),
      pollIntervalMinutes: fit!.pollIntervalMinutes
    })
    assert.isAtMost(planned!.per30Days, 2_000)
  })

  it("says nothing fits when the start-up calls and logins alone exceed it", () => {
    assert.isUndefined(fittingIntervals(settings("watttime:CAISO_NORTH", 5), "watttime", 1_000))
  })
})
