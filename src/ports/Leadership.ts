/**
 * Whether this replica is the one that calls the provider. A sidecar always is; in cluster mode
 * only the elected leader is, and the others mirror what it publishes. src/cluster/ClusterMode.ts
 * provides both.
 */
import { Context, type Effect, type Stream } from "effect"

export class Leadership extends Context.Tag("carbon-poller/Leadership")<Leadership, {
  readonly isLeader: Effect.Effect<boolean>
  /** Emits each time this replica becomes the leader (not at all for a sidecar, which always is). */
  readonly becameLeader: Stream.Stream<void>
}>() {}
