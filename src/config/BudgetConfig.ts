/**
 * The call budget: a provider's plan with a monthly call quota (Electricity Maps', WattTime's) can
 * be named here, and a configuration whose planned calls exceed it is refused at start with the
 * smallest intervals that fit (the check is in src/config/Configuration.ts, the arithmetic in
 * src/domain/CallPlan.ts). Unset: no budget, the plan is only logged.
 */
import { Config, Context, Option, Schema } from "effect"
import { PROVIDER_IDS, type ProviderId } from "../domain/Provider.js"
import { PROVIDER_FACTS } from "../domain/ProviderFacts.js"
import { WholeNumber } from "./Variables.js"

/** Far above any plan; keeps the arithmetic in safe integers. */
export const MAX_MONTHLY_CALLS = 1_000_000_000_000

export interface BudgetSettings {
  /** Calls per 30 days each provider's plan allows, for the providers whose budget is set. */
  readonly monthlyCalls: Readonly<Partial<Record<ProviderId, number>>>
}

export class BudgetConfig extends Context.Tag("carbon-poller/BudgetConfig")<BudgetConfig, BudgetSettings>() {}

/** The providers with a budget variable, and the variable. */
export const BUDGET_VARIABLES: ReadonlyArray<readonly [ProviderId, string]> = PROVIDER_IDS.flatMap((provider) => {
  const variable = PROVIDER_FACTS[provider].budgetVariable
  return variable === undefined ? [] : [[provider, variable] as const]
})

const monthlyCalls = (name: string): Config.Config<Option.Option<number>> =>
  Config.option(
    Schema.Config(
      name,
      WholeNumber.pipe(Schema.between(1, MAX_MONTHLY_CALLS)).annotations({
        message: () => ({
          message: `must be a whole number of calls per 30 days from 1 to ${MAX_MONTHLY_CALLS}, e.g. 100000`,
          override: true
        })
      })
    )
  )

export const budgetConfig: Config.Config<BudgetSettings> = Config.map(
  Config.all(
    BUDGET_VARIABLES.map(([provider, name]) => Config.map(monthlyCalls(name), (calls) => [provider, calls] as const))
  ),
  (entries) => ({
    monthlyCalls: Object.fromEntries(
      entries.flatMap(([provider, calls]) => Option.isSome(calls) ? [[provider, calls.value]] : [])
    )
  })
)
