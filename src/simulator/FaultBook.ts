/**
 * The faults currently armed in one simulator, and the decision for each request.
 *
 * Decisions are atomic (a `next: 3` rule fires exactly three times under any concurrency) and
 * random draws come from a generator seeded by the simulator's seed, so a run is repeatable for a
 * given order of requests.
 */
import { Effect, Option, Random, SynchronizedRef } from "effect"
import { effectiveRoutes, type Fault, type FaultKind, type FaultRule, type Provider, type Route } from "./Fault.js"

export interface ArmedFault {
  readonly id: number
  readonly rule: FaultRule
  /** Firings left for a `{ next: n }` rule; absent for the others. */
  readonly remaining?: number
  readonly hits: number
}

export interface FaultTarget {
  /** Electricity Maps' routes when absent. */
  readonly provider?: Provider
  readonly route: Route
  /** The `zone` parameter of a latest or forecast request. */
  readonly zone: string | undefined
}

export interface FaultDecision {
  /** Milliseconds to wait before answering: baseline latency plus every latency fault that fired. */
  readonly delayMs: number
  /** The fault that shapes the answer, if one fired: the first in rule order, the rest untouched. */
  readonly fault: Option.Option<Exclude<Fault, { readonly kind: "latency" }>>
  /** Kinds of every fault that fired, for the counters. */
  readonly fired: ReadonlyArray<FaultKind>
}

export interface Baseline {
  readonly latencyMs: number
  readonly jitterMs: number
}

export interface FaultBook {
  readonly add: (rules: ReadonlyArray<FaultRule>) => Effect.Effect<ReadonlyArray<number>>
  readonly replace: (rules: ReadonlyArray<FaultRule>) => Effect.Effect<ReadonlyArray<number>>
  readonly remove: (id: number) => Effect.Effect<boolean>
  readonly clear: Effect.Effect<void>
  readonly list: Effect.Effect<ReadonlyArray<ArmedFault>>
  readonly decide: (target: FaultTarget) => Effect.Effect<FaultDecision>
}

interface State {
  readonly nextId: number
  readonly armed: ReadonlyArray<ArmedFault>
}

/** A rule matches on its provider's routes where it is selected and its fault means something (see `effectiveRoutes`). */
const matches = (rule: FaultRule, target: FaultTarget): boolean =>
  (rule.provider ?? "electricitymaps") === (target.provider ?? "electricitymaps") &&
  effectiveRoutes(rule).includes(target.route) &&
  (rule.zone === undefined || rule.zone === target.zone)

/** Zone-specific rules are more specific, so they get the first say; otherwise insertion order. */
const byPrecedence = (armed: ReadonlyArray<ArmedFault>): ReadonlyArray<ArmedFault> => [
  ...armed.filter((a) => a.rule.zone !== undefined),
  ...armed.filter((a) => a.rule.zone === undefined)
]

/** Uniform in [ms - jitter, ms + jitter], never negative. */
const jittered = (rng: Random.Random, ms: number, jitterMs: number): Effect.Effect<number> =>
  jitterMs === 0
    ? Effect.succeed(ms)
    : Effect.map(rng.next, (u) => Math.max(0, Math.round(ms + (2 * u - 1) * jitterMs)))

const fires = (rng: Random.Random, armed: ArmedFault): Effect.Effect<boolean> => {
  const when = armed.rule.when
  if (when === "always") return Effect.succeed(true)
  if ("next" in when) return Effect.succeed((armed.remaining ?? 0) > 0)
  return Effect.map(rng.next, (u) => u < when.probability)
}

const arm = (state: State, rules: ReadonlyArray<FaultRule>): [ReadonlyArray<number>, State] => {
  const added = rules.map((rule, i): ArmedFault => {
    const base = { id: state.nextId + i, rule, hits: 0 }
    return typeof rule.when === "object" && "next" in rule.when ? { ...base, remaining: rule.when.next } : base
  })
  return [added.map((a) => a.id), { nextId: state.nextId + rules.length, armed: [...state.armed, ...added] }]
}

export const make = (seed: string, baseline: Baseline): Effect.Effect<FaultBook> =>
  Effect.gen(function*() {
    const rng = Random.make(seed)
    const state = yield* SynchronizedRef.make<State>({ nextId: 1, armed: [] })

    const decide = (target: FaultTarget): Effect.Effect<FaultDecision> =>
      SynchronizedRef.modifyEffect(state, (current) =>
        Effect.gen(function*() {
          let delayMs = yield* jittered(rng, baseline.latencyMs, baseline.jitterMs)
          let fault: FaultDecision["fault"] = Option.none()
          const fired: Array<FaultKind> = []
          const updated = new Map<number, ArmedFault>()
          for (const armed of byPrecedence(current.armed)) {
            const f = armed.rule.fault
            if (!matches(armed.rule, target)) continue
            // Once an answer is chosen, later answer-shaping rules are neither drawn nor consumed.
            if (f.kind !== "latency" && Option.isSome(fault)) continue
            if (!(yield* fires(rng, armed))) continue
            fired.push(f.kind)
            updated.set(armed.id, {
              ...armed,
              hits: armed.hits + 1,
              ...(armed.remaining === undefined ? {} : { remaining: armed.remaining - 1 })
            })
            if (f.kind === "latency") delayMs += yield* jittered(rng, f.ms, f.jitterMs)
            else fault = Option.some(f)
          }
          const armed = current.armed
            .map((a) => updated.get(a.id) ?? a)
            .filter((a) => a.remaining === undefined || a.remaining > 0)
          return [{ delayMs, fault, fired }, { ...current, armed }] as const
        }))

    return {
      add: (rules) => SynchronizedRef.modify(state, (s) => arm(s, rules)),
      replace: (rules) => SynchronizedRef.modify(state, (s) => arm({ ...s, armed: [] }, rules)),
      remove: (id) =>
        SynchronizedRef.modify(state, (s) => {
          const armed = s.armed.filter((a) => a.id !== id)
          return [armed.length !== s.armed.length, { ...s, armed }]
        }),
      clear: SynchronizedRef.update(state, (s) => ({ ...s, armed: [] })),
      list: Effect.map(SynchronizedRef.get(state), (s) => s.armed),
      decide
    }
  })
