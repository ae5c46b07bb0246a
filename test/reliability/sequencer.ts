import { BaseSequencer, type TestSpecification } from "vitest/node"

/** Scenarios run in the order of their file names: the final key scan must come last. */
export class ByFileName extends BaseSequencer {
  override async sort(files: Array<TestSpecification>): Promise<Array<TestSpecification>> {
    return [...files].sort((a, b) => a.moduleId.localeCompare(b.moduleId))
  }
}
