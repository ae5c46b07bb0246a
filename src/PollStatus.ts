/**
 * What the poll loop has done so far, kept in memory for liveness, readiness and `/cache`.
 * Written only by the poller; read by the HTTP endpoints.
 */
import { Effect, Option, Ref } from "effect"
import type { CacheFile } from "./Domain.js"

export interface WrittenCache {
  readonly cache: CacheFile
  /** The exact bytes written, served as-is by `/cache`. */
  readonly contents: string
  /** Epoch milliseconds when the file was renamed into place. */
  readonly writtenAt: number
}

export interface StatusSnapshot {
  readonly lastPollStartedAt: Option.Option<number>
  readonly lastWrite: Option.Option<WrittenCache>
  readonly lastWriteError: Option.Option<string>
}

export class PollStatus extends Effect.Service<PollStatus>()("carbon-poller/PollStatus", {
  effect: Effect.gen(function* () {
    const ref = yield* Ref.make<StatusSnapshot>({
      lastPollStartedAt: Option.none(),
      lastWrite: Option.none(),
      lastWriteError: Option.none()
    })
    return {
      get: Ref.get(ref),
      pollStarted: (at: number) => Ref.update(ref, (s) => ({ ...s, lastPollStartedAt: Option.some(at) })),
      written: (written: WrittenCache) =>
        Ref.update(ref, (s) => ({ ...s, lastWrite: Option.some(written), lastWriteError: Option.none() })),
      writeFailed: (message: string) => Ref.update(ref, (s) => ({ ...s, lastWriteError: Option.some(message) }))
    } as const
  })
}) {}
