/**
 * A test that runs the long-running service over real HTTP on virtual time cannot let time alone
 * finish a poll: it waits for the poll's summary instead. This layer, built over the same services
 * as the service (layers are shared by reference), offers every summary to a queue.
 */
import { Effect, Layer, type Queue, Stream } from "effect"
import * as AppLayer from "../../src/app/AppLayer.js"
import { PollStatus } from "../../src/poll/PollStatus.js"
import type { PollSummary } from "../../src/poll/PollSummary.js"

export const summariesInto = (polls: Queue.Enqueue<PollSummary>) =>
  Layer.scopedDiscard(
    Effect.forkScoped(
      Effect.flatMap(
        PollStatus,
        (status) => status.summaries.pipe(Stream.runForEach((summary) => polls.offer(summary)))
      )
    )
  ).pipe(Layer.provide(AppLayer.ServicesLayer))
