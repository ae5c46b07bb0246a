/**
 * Whether this replica is the one that calls the provider. A sidecar always is; in cluster mode
 * only the elected leader is (src/cluster/ClusterMode.ts), and the others mirror what it publishes.
 */
import { Context, Effect, Layer, Stream } from "effect"

export class Leadership extends Context.Tag("carbon-poller/Leadership")<Leadership, {
  readonly isLeader: Effect.Effect<boolean>
  /** Emits each time this replica becomes the leader (not at all for a sidecar, which always is). */
  readonly becameLeader: Stream.Stream<void>
}>() {}

/** The sidecar: alone, so always the leader. */
export const always = Layer.succeed(Leadership, { isLeader: Effect.succeed(true), becameLeader: Stream.empty })
