/**
 * An in-memory `FileSystem` for unit tests: enough of the interface for the cache store, with
 * injectable failures per operation (disk full, permission denied) and a record of every file
 * that ever existed, so tests can prove temporary files never outlive a write.
 */
import { Error as PlatformError, FileSystem } from "@effect/platform"
import { Effect, Layer, Option } from "effect"
import { FileModes } from "../../src/outputs/file/FileModes.js"

export type Operation = "makeDirectory" | "open" | "writeAll" | "sync" | "chmod" | "rename" | "readDirectory"

export interface MemoryFileSystemOptions {
  /** Operations that fail, with the reason reported (e.g. "Unknown" + "ENOSPC" for a full disk). */
  readonly failing?: Partial<
    Record<Operation, { readonly reason: PlatformError.SystemErrorReason; readonly description: string }>
  >
  /** Files present at start. */
  readonly files?: Readonly<Record<string, string>>
  /** A write that never completes, to test interruption mid-write. */
  readonly hangOn?: Operation
}

const parentOf = (path: string) => path.slice(0, Math.max(path.lastIndexOf("/"), 1))

export const makeMemoryFileSystem = (options: MemoryFileSystemOptions = {}) => {
  const files = new Map<string, { contents: Uint8Array; mode: number }>(
    Object.entries(options.files ?? {}).map((
      [path, text]
    ) => [path, { contents: new TextEncoder().encode(text), mode: 0o644 }])
  )
  const directories = new Set<string>(["/"])
  for (const path of files.keys()) directories.add(parentOf(path))
  const everCreated = new Set<string>()
  /** Open handles by descriptor, so a mode set through a handle reaches the file it was opened for. */
  const handles = new Map<number, string>()
  let nextDescriptor = 100
  const failing = { ...options.failing }

  const guard = (operation: Operation, path: string): Effect.Effect<void, PlatformError.PlatformError> => {
    if (options.hangOn === operation) return Effect.never
    const failure = failing[operation]
    return failure
      ? Effect.fail(
        new PlatformError.SystemError({
          reason: failure.reason,
          module: "FileSystem",
          method: operation,
          pathOrDescriptor: path,
          description: failure.description
        })
      )
      : Effect.void
  }
  const notFound = (method: string, path: string) =>
    new PlatformError.SystemError({
      reason: "NotFound",
      module: "FileSystem",
      method,
      pathOrDescriptor: path,
      description: "no such file or directory"
    })

  const fileSystem = FileSystem.makeNoop({
    makeDirectory: (path) =>
      Effect.zipRight(
        guard("makeDirectory", path),
        Effect.sync(() => {
          for (let p = path; p !== "/" && p !== ""; p = parentOf(p)) directories.add(p)
        })
      ),
    readDirectory: (path) =>
      Effect.zipRight(
        guard("readDirectory", path),
        directories.has(path)
          ? Effect.sync(() =>
            [...files.keys()].filter((f) => parentOf(f) === path).map((f) => f.slice(path.length + 1))
          )
          : Effect.fail(notFound("readDirectory", path))
      ),
    readFileString: (path) => {
      const file = files.get(path)
      return file
        ? Effect.succeed(new TextDecoder().decode(file.contents))
        : Effect.fail(notFound("readFileString", path))
    },
    exists: (path) => Effect.succeed(files.has(path) || directories.has(path)),
    remove: (path, removeOptions) =>
      files.has(path) || directories.has(path)
        ? Effect.sync(() => {
          files.delete(path)
        })
        : removeOptions?.force
        ? Effect.void
        : Effect.fail(notFound("remove", path)),
    stat: (path) =>
      files.has(path) || directories.has(path)
        ? Effect.succeed({
          type: files.has(path) ? "File" : "Directory",
          mtime: Option.none(),
          atime: Option.none(),
          birthtime: Option.none(),
          dev: 0,
          ino: Option.none(),
          mode: files.get(path)?.mode ?? 0o755,
          nlink: Option.none(),
          uid: Option.none(),
          gid: Option.none(),
          rdev: Option.none(),
          size: FileSystem.Size(files.get(path)?.contents.length ?? 0),
          blksize: Option.none(),
          blocks: Option.none()
        })
        : Effect.fail(notFound("stat", path)),
    chmod: (path, mode) =>
      Effect.zipRight(
        guard("chmod", path),
        Effect.sync(() => {
          const file = files.get(path)
          if (file) file.mode = mode
        })
      ),
    rename: (from, to) =>
      Effect.zipRight(
        guard("rename", to),
        Effect.suspend(() => {
          const file = files.get(from)
          if (!file) return Effect.fail(notFound("rename", from))
          files.delete(from)
          files.set(to, file)
          return Effect.void
        })
      ),
    open: (path, openOptions) =>
      Effect.gen(function*() {
        yield* guard("open", path)
        if (!directories.has(parentOf(path))) return yield* Effect.fail(notFound("open", path))
        if (openOptions?.flag === "wx" && files.has(path)) {
          return yield* Effect.fail(
            new PlatformError.SystemError({
              reason: "AlreadyExists",
              module: "FileSystem",
              method: "open",
              pathOrDescriptor: path
            })
          )
        }
        const entry: { contents: Uint8Array; mode: number } = {
          contents: new Uint8Array(),
          mode: openOptions?.mode ?? 0o666
        }
        files.set(path, entry)
        everCreated.add(path)
        const descriptor = nextDescriptor++
        handles.set(descriptor, path)
        const file: FileSystem.File = {
          [FileSystem.FileTypeId]: FileSystem.FileTypeId,
          fd: FileSystem.FileDescriptor(descriptor),
          stat: Effect.die("stat is not used by the cache store"),
          seek: () => Effect.void,
          sync: guard("sync", path),
          read: () => Effect.die("read is not used by the cache store"),
          readAlloc: () => Effect.succeed(Option.none()),
          truncate: () => Effect.void,
          write: (buffer) =>
            Effect.as(Effect.sync(() => void (entry.contents = buffer)), FileSystem.Size(buffer.length)),
          writeAll: (buffer) =>
            Effect.zipRight(
              guard("writeAll", path),
              Effect.sync(() => {
                const next = new Uint8Array(entry.contents.length + buffer.length)
                next.set(entry.contents)
                next.set(buffer, entry.contents.length)
                entry.contents = next
              })
            )
        }
        return file
      })
  })

  const modes = FileModes.of({
    setMode: (file, mode) => {
      const path = handles.get(file.fd) ?? ""
      return Effect.zipRight(
        Effect.mapError(guard("chmod", path), (error) => new Error(error.message)),
        Effect.sync(() => {
          const entry = files.get(path)
          if (entry) entry.mode = mode
        })
      )
    }
  })

  return {
    layer: Layer.merge(Layer.succeed(FileSystem.FileSystem, fileSystem), Layer.succeed(FileModes, modes)),
    read: (path: string): string | undefined => {
      const file = files.get(path)
      return file ? new TextDecoder().decode(file.contents) : undefined
    },
    modeOf: (path: string) => files.get(path)?.mode,
    paths: () => [...files.keys()].sort(),
    everCreated: () => [...everCreated].sort(),
    setFailure: (
      operation: Operation,
      failure: { readonly reason: PlatformError.SystemErrorReason; readonly description: string } | undefined
    ) => {
      if (failure) failing[operation] = failure
      else delete failing[operation]
    }
  }
}
