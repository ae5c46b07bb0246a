/**
 * The basis of the values the deployment ranks: which signal and which emission factor. It belongs
 * to the deployment, not to a provider: every source is asked for it and the truthfulness rules
 * refuse a value of any other. `SIGNAL` chooses average (Electricity Maps, the UK API) or marginal
 * (WattTime); a zone whose provider gives another basis is refused with the rest of the configuration
 * (src/config/Configuration.ts), from the providers' facts (src/domain/ProviderFacts.ts).
 */
import { Config, Context } from "effect"
import { type Basis, SIGNALS } from "../domain/Provider.js"
import { EmissionFactorType } from "../domain/Reading.js"
import { oneOf } from "./Variables.js"

export type BasisSettings = Basis

export class BasisConfig extends Context.Tag("carbon-poller/BasisConfig")<BasisConfig, BasisSettings>() {}

export const basisConfig: Config.Config<BasisSettings> = Config.all({
  signal: oneOf("SIGNAL", SIGNALS, "average"),
  emissionFactorType: oneOf("EMISSION_FACTOR_TYPE", EmissionFactorType.literals, "lifecycle")
})
