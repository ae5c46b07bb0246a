/**
 * The basis of the values the deployment ranks: which signal and which emission factor. It belongs
 * to the deployment, not to a provider: every source is asked for it and the truthfulness rules
 * refuse a value of any other. Electricity Maps gives average values only, so the signal is
 * average until a provider of marginal values brings a variable to choose it.
 */
import { Config, Context } from "effect"
import type { Basis } from "../domain/Provider.js"
import { EmissionFactorType } from "../domain/Reading.js"
import { oneOf } from "./Variables.js"

export type BasisSettings = Basis

export class BasisConfig extends Context.Tag("carbon-poller/BasisConfig")<BasisConfig, BasisSettings>() {}

export const basisConfig: Config.Config<BasisSettings> = Config.all({
  signal: Config.succeed("average" as const),
  emissionFactorType: oneOf("EMISSION_FACTOR_TYPE", EmissionFactorType.literals, "lifecycle")
})
