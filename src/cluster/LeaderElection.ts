/**
 * Leader election over one `coordination.k8s.io/v1` Lease, the way client-go does it: candidates
 * read the Lease and write themselves in as holder when it is free or lapsed; the holder renews it.
 * Every write carries the `resourceVersion` that was read, so of two candidates racing for the same
 * lapsed Lease only one wins (the other gets 409 and stays a follower).
 *
 * A leader stops being one at its own deadline (see LeaseRules) whatever the API server does: a
 * renewal is cut off at the deadline and `isLeader` checks the clock itself, so there is no window
 * in which an unreachable leader still acts after another pod could have taken over. On scope close
 * (SIGTERM) the leader releases the Lease so a follower takes it on its next retry.
 */
import type { V1Lease, V1LeaseSpec } from "@kubernetes/client-node"
import {
  Clock,
  Context,
  Duration,
  Effect,
  Either,
  Layer,
  Option,
  Ref,
  Schedule,
  type Stream,
  SubscriptionRef
} from "effect"
import { formatRef, type ObjectRef } from "../config/ClusterConfig.js"
import { KubeClient, KubeError } from "./KubeClient.js"
import {
  type LeaseRecord,
  mayAcquire,
  mustStepDown,
  nextRecord,
  parseTime,
  releasedRecord,
  stepDownDeadline
} from "./LeaseRules.js"

export interface ElectionState {
  readonly leader: boolean
  /** The holder as last seen (myself when leader); undefined when free or unknown. */
  readonly holder: string | undefined
  /** When this state began (epoch ms, from `Clock`). */
  readonly at: number
}

export interface LeaderElectionSettings {
  readonly lease: ObjectRef
  readonly identity: string
  /** Written into the Lease; whole seconds, as the API stores it. Default 15. */
  readonly leaseDurationSeconds?: number
  /** How often the leader renews. Default 5 s. */
  readonly renewInterval?: Duration.DurationInput
  /** How often a follower tries to acquire, and a leader retries a failed renewal. Default 2 s. */
  readonly retryInterval?: Duration.DurationInput
  /** How long before the lease would lapse the leader steps down. Default: the retry interval. */
  readonly stepDownMargin?: Duration.DurationInput
  /** Bound on releasing the Lease at shutdown; past it the Lease lapses on its own. Default 2 s. */
  readonly releaseTimeout?: Duration.DurationInput
}

export class LeaderElection extends Context.Tag("carbon-poller/LeaderElection")<
  LeaderElection,
  {
    /** True only while this replica holds the Lease and its own deadline has not passed. */
    readonly isLeader: Effect.Effect<boolean>
    /** Reads the Lease to confirm this replica still holds it; steps down when it does not. */
    readonly confirm: Effect.Effect<boolean>
    readonly current: Effect.Effect<ElectionState>
    /** The current state first, then every change. */
    readonly changes: Stream.Stream<ElectionState>
    /** How often this replica became leader or stopped being one. */
    readonly transitions: Effect.Effect<number>
  }
>() {}

interface Timings {
  readonly leaseDurationSeconds: number
  readonly leaseMillis: number
  readonly renewMillis: number
  readonly retryMillis: number
  readonly marginMillis: number
}

const toMillis = (d: Duration.DurationInput | undefined, fallback: Duration.DurationInput): number =>
  Duration.toMillis(Duration.decode(d ?? fallback))

export const resolveTimings = (settings: LeaderElectionSettings): Timings => {
  const leaseDurationSeconds = settings.leaseDurationSeconds ?? 15
  const retryMillis = toMillis(settings.retryInterval, "2 seconds")
  return {
    leaseDurationSeconds,
    leaseMillis: leaseDurationSeconds * 1000,
    renewMillis: toMillis(settings.renewInterval, "5 seconds"),
    retryMillis,
    marginMillis: toMillis(settings.stepDownMargin, Duration.millis(retryMillis))
  }
}

/** Why these timings cannot work, or undefined when they can. */
export const timingProblem = (t: Timings): string | undefined => {
  if (!Number.isInteger(t.leaseDurationSeconds) || t.leaseDurationSeconds < 1) {
    return "the lease duration must be a whole number of seconds, at least 1"
  }
  if (t.retryMillis <= 0 || t.renewMillis <= 0) return "the renew and retry intervals must be positive"
  if (t.renewMillis + t.marginMillis >= t.leaseMillis) {
    return "renew interval plus step-down margin must be shorter than the lease duration"
  }
  return undefined
}

// ---------------------------------------------------------------------------------------------
// Lease <-> record

export const leaseRecordOf = (lease: V1Lease): LeaseRecord => ({
  holder: lease.spec?.holderIdentity === "" ? undefined : lease.spec?.holderIdentity,
  leaseDurationSeconds: lease.spec?.leaseDurationSeconds ?? 0,
  // The client hands MicroTime fields back as the raw strings, whatever its types say.
  acquireTime: parseTime(lease.spec?.acquireTime),
  renewTime: parseTime(lease.spec?.renewTime),
  leaseTransitions: lease.spec?.leaseTransitions ?? 0
})

type Outcome =
  | { readonly _tag: "Held"; readonly sentAt: number }
  | { readonly _tag: "HeldByOther"; readonly holder: string | undefined }

// ---------------------------------------------------------------------------------------------
// Layer

export const layer = (settings: LeaderElectionSettings): Layer.Layer<LeaderElection, never, KubeClient> =>
  Layer.scoped(LeaderElection, makeLeaderElection(settings))

const makeLeaderElection = (settings: LeaderElectionSettings) =>
  Effect.gen(function*() {
    const kube = yield* KubeClient
    const timings = resolveTimings(settings)
    const problem = timingProblem(timings)
    if (problem !== undefined) {
      return yield* Effect.dieMessage(`leader election for ${formatRef(settings.lease)}: ${problem}`)
    }
    const { identity, lease: ref } = settings

    const state = yield* SubscriptionRef.make<ElectionState>({
      leader: false,
      holder: undefined,
      at: yield* Clock.currentTimeMillis
    })
    const deadline = yield* Ref.make(0)
    const transitions = yield* Ref.make(0)

    const specOf = (record: LeaseRecord): V1LeaseSpec => ({
      ...(record.holder === undefined ? {} : { holderIdentity: record.holder }),
      leaseDurationSeconds: record.leaseDurationSeconds,
      ...(record.acquireTime === undefined ? {} : { acquireTime: kube.microTime(record.acquireTime) }),
      ...(record.renewTime === undefined ? {} : { renewTime: kube.microTime(record.renewTime) }),
      leaseTransitions: record.leaseTransitions
    })
    /** Keeps the metadata that was read (resourceVersion above all), replaces the spec. */
    const leaseWith = (read: V1Lease | undefined, record: LeaseRecord): V1Lease => ({
      apiVersion: "coordination.k8s.io/v1",
      kind: "Lease",
      metadata: { ...read?.metadata, name: ref.name, namespace: ref.namespace },
      spec: specOf(record)
    })

    const readLease: Effect.Effect<Option.Option<V1Lease>, KubeError> = kube.leases.read(ref).pipe(
      Effect.map(Option.some),
      Effect.catchIf((e) => e.reason === "NotFound", () => Effect.succeedNone)
    )

    /** One read-then-write round: take or renew the Lease if the rules allow it. */
    const tryAcquireOrRenew: Effect.Effect<Outcome, KubeError> = Effect.gen(function*() {
      const sentAt = yield* Clock.currentTimeMillis
      const read = yield* readLease
      if (Option.isNone(read)) {
        yield* kube.leases.create(
          ref,
          leaseWith(undefined, nextRecord(undefined, identity, sentAt, timings.leaseDurationSeconds))
        )
        return { _tag: "Held", sentAt } as const
      }
      const record = leaseRecordOf(read.value)
      if (!mayAcquire(record, identity, sentAt)) return { _tag: "HeldByOther", holder: record.holder } as const
      yield* kube.leases.replace(
        ref,
        leaseWith(read.value, nextRecord(record, identity, sentAt, timings.leaseDurationSeconds))
      )
      return { _tag: "Held", sentAt } as const
    })

    const setState = (leader: boolean, holder: string | undefined) =>
      Effect.gen(function*() {
        const now = yield* Clock.currentTimeMillis
        const before = yield* SubscriptionRef.get(state)
        if (before.leader === leader && before.holder === holder) return
        if (before.leader !== leader) yield* Ref.update(transitions, (n) => n + 1)
        yield* SubscriptionRef.set(state, { leader, holder, at: now })
      })

    const becomeLeader = (sentAt: number) =>
      Effect.gen(function*() {
        yield* Ref.set(deadline, stepDownDeadline(sentAt, timings.leaseMillis, timings.marginMillis))
        const wasLeader = (yield* SubscriptionRef.get(state)).leader
        yield* setState(true, identity)
        if (!wasLeader) yield* Effect.logInfo(`leader election: ${identity} now leads ${formatRef(ref)}`)
      })

    const stepDown = (holder: string | undefined, why: string) =>
      Effect.gen(function*() {
        yield* setState(false, holder)
        yield* Effect.logWarning(`leader election: ${identity} stepped down from ${formatRef(ref)}: ${why}`)
      })

    /** A follower's round; returns the pause before the next. */
    const followerRound = Effect.gen(function*() {
      const outcome = yield* Effect.either(tryAcquireOrRenew)
      if (Either.isLeft(outcome)) {
        yield* Effect.logDebug(`leader election: cannot acquire ${formatRef(ref)}: ${outcome.left.message}`)
        return timings.retryMillis
      }
      if (outcome.right._tag === "Held") {
        yield* becomeLeader(outcome.right.sentAt)
        return timings.renewMillis
      }
      yield* setState(false, outcome.right.holder)
      return timings.retryMillis
    })

    /** A leader's round: renew, cut off at the deadline; returns the pause before the next. */
    const leaderRound = Effect.gen(function*() {
      const due = yield* Ref.get(deadline)
      const start = yield* Clock.currentTimeMillis
      if (mustStepDown(start, due)) {
        yield* stepDown(undefined, "could not renew before the lease would lapse")
        return timings.retryMillis
      }
      const outcome = yield* tryAcquireOrRenew.pipe(
        Effect.timeoutFail({
          duration: Duration.millis(due - start),
          onTimeout: () =>
            new KubeError({
              reason: "Timeout",
              operation: `renew lease ${formatRef(ref)}`,
              status: undefined,
              detail: "reached the step-down deadline"
            })
        }),
        Effect.either
      )
      if (Either.isRight(outcome)) {
        if (outcome.right._tag === "Held") {
          yield* becomeLeader(outcome.right.sentAt)
          return timings.renewMillis
        }
        yield* stepDown(outcome.right.holder, `${outcome.right.holder ?? "another candidate"} holds the lease`)
        return timings.retryMillis
      }
      yield* Effect.logWarning(`leader election: renewal failed, retrying until the deadline: ${outcome.left.message}`)
      const now = yield* Clock.currentTimeMillis
      if (mustStepDown(now, due)) {
        yield* stepDown(undefined, "could not renew before the lease would lapse")
        return timings.retryMillis
      }
      return Math.min(timings.retryMillis, due - now)
    })

    const round = Effect.flatMap(SubscriptionRef.get(state), (s) => (s.leader ? leaderRound : followerRound))

    /** Lets go of the Lease if held, so a follower takes it on its next retry instead of after expiry. */
    const release = Effect.gen(function*() {
      if (!(yield* SubscriptionRef.get(state)).leader) return
      yield* setState(false, undefined)
      const now = yield* Clock.currentTimeMillis
      const read = yield* readLease
      if (Option.isNone(read)) return
      const record = leaseRecordOf(read.value)
      if (record.holder !== identity) return
      yield* kube.leases.replace(ref, leaseWith(read.value, releasedRecord(record, now)))
      yield* Effect.logInfo(`leader election: ${identity} released ${formatRef(ref)}`)
    }).pipe(
      // Finalizers run uninterruptibly, where a timeout could never cut its effect short.
      Effect.interruptible,
      Effect.timeoutFail({
        duration: settings.releaseTimeout ?? "2 seconds",
        onTimeout: () =>
          new KubeError({
            reason: "Timeout",
            operation: `release lease ${formatRef(ref)}`,
            status: undefined,
            detail: "gave up at shutdown"
          })
      }),
      Effect.catchAll((e) =>
        Effect.logWarning(`leader election: could not release ${formatRef(ref)}; it lapses on its own: ${e.message}`)
      )
    )

    // Finalizers run last-added first: the loop stops before the release is written.
    yield* Effect.addFinalizer(() => release)
    yield* Effect.forkScoped(
      Effect.repeat(
        Effect.map(round, (pause) => Duration.millis(pause)),
        Schedule.addDelay(Schedule.identity<Duration.Duration>(), (pause) => pause)
      )
    )

    const isLeader = Effect.gen(function*() {
      if (!(yield* SubscriptionRef.get(state)).leader) return false
      return !mustStepDown(yield* Clock.currentTimeMillis, yield* Ref.get(deadline))
    })

    /**
     * `isLeader`, confirmed against the Lease as it is now: another holder (a partition healed, an
     * operator's edit) makes this replica step down at once instead of at its next renewal.
     */
    const confirm = Effect.gen(function*() {
      if (!(yield* isLeader)) return false
      const read = yield* Effect.either(readLease)
      if (Either.isLeft(read)) return false
      const holder = Option.match(read.right, {
        onNone: () => undefined,
        onSome: (lease) => leaseRecordOf(lease).holder
      })
      if (holder === identity) return yield* isLeader
      yield* stepDown(holder, `${holder ?? "nobody"} holds the lease now`)
      return false
    })

    return {
      isLeader,
      confirm,
      current: SubscriptionRef.get(state),
      changes: state.changes,
      transitions: Ref.get(transitions)
    }
  })
