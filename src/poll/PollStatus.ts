/**
 * What the poll loop has done so far, kept in memory for liveness, readiness and `/cache`.
 * Written only by the poller; read by the HTTP endpoints.
 */
import { Clock, Effect, Option, PubSub, Ref, Stream } from "effect"
import type { CacheFile } from "../domain/CacheFile.js"
import type { PollSummary } from "./PollSummary.js"

export interface WrittenCache {
  readonly cache: CacheFile
  /** The exact bytes written, served as-is by `/cache`. */
  readonly contents: string
  /** Epoch milliseconds when the file was renamed into place. */
  readonly writtenAt: number
}

export interface StatusSnapshot {
  /** Epoch milliseconds when the service started; liveness counts from here before the first poll. */
  readonly startedAt: number
  readonly lastPollStartedAt: Option.Option<number>
  readonly lastWrite: Option.Option<WrittenCache>
  readonly lastWriteError: Option.Option<string>
  /** Cluster mode: why the latest published cache was not mirrored, until one is. */
  readonly publishedRefused?: string | undefined
}

export class PollStatus extends Effect.Service<PollStatus>()("carbon-poller/PollStatus", {
  effect: Effect.gen(function*() {
    // Sliding: a slow watcher (the demo's table) drops old summaries instead of slowing polls.
    const summaries = yield* PubSub.sliding<PollSummary>(16)
    // Unbounded: at most one write per poll, and whoever follows them (the read API's history)
    // must see every one.
    const writes = yield* PubSub.unbounded<WrittenCache>()
    const ref = yield* Ref.make<StatusSnapshot>({
      startedAt: yield* Clock.currentTimeMillis,
      lastPollStartedAt: Option.none(),
      lastWrite: Option.none(),
      lastWriteError: Option.none()
    })
    return {
      get: Ref.get(ref),
      pollStarted: (at: number) => Ref.update(ref, (s) => ({ ...s, lastPollStartedAt: Option.some(at) })),
      written: (written: WrittenCache) =>
        Ref.update(ref, (s) => ({
          ...s,
          lastWrite: Option.some(written),
          lastWriteError: Option.none(),
          publishedRefused: undefined
        })).pipe(
          Effect.zipRight(PubSub.publish(writes, written)),
          Effect.asVoid
        ),
      /**
       * Why the published cache was refused and not mirrored (the file keeps what it had), or
       * undefined once the published cache is one this replica accepts.
       */
      publishedRefused: (message: string | undefined) => Ref.update(ref, (s) => ({ ...s, publishedRefused: message })),
      writeFailed: (message: string) => Ref.update(ref, (s) => ({ ...s, lastWriteError: Option.some(message) })),
      pollCompleted: (summary: PollSummary) => PubSub.publish(summaries, summary),
      /** Every poll's summary from the moment the stream is run. */
      summaries: Stream.fromPubSub(summaries),
      /** Every cache recorded as written (polled or mirrored) from the moment of subscribing, in order. */
      subscribeWrites: PubSub.subscribe(writes)
    } as const
  })
}) {}
