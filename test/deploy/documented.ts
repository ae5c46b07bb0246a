/**
 * What the README, docs/ and the manifests' own comments tell a person to type, parsed, so the
 * deploy tests can hold the manifests to it: the image tag they build and the Secret they create.
 */
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

export const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..")

export const readRepoFile = (relative: string): string => readFileSync(path.join(root, relative), "utf8")

/** Where a person reads deploy instructions. */
export const DEPLOY_DOCS = [
  "README.md",
  "docs/operations.md",
  "docs/cluster.md",
  "Dockerfile",
  "k8s.yaml",
  "k8s-cluster.yaml"
] as const

export interface DocumentedSecret {
  readonly file: string
  readonly namespace: string | undefined
  readonly name: string
  readonly key: string
}

/** Every `kubectl [-n NS] create secret generic NAME --from-literal=KEY=...` (or `--from-file=KEY=...`). */
export const documentedSecrets = (file: string, text: string = readRepoFile(file)): Array<DocumentedSecret> =>
  [
    ...text.matchAll(
      /kubectl(?:\s+(?:-n|--namespace)[\s=](\S+))?\s+create\s+secret\s+generic\s+(\S+)\s+--from-(?:literal|file)=([\w.-]+)=/g
    )
  ].map((m) => ({ file, namespace: m[1], name: m[2] ?? "", key: m[3] ?? "" }))

/** Every tag given to `docker build -t TAG`. */
export const documentedImageTags = (file: string, text: string = readRepoFile(file)): Array<string> =>
  [...text.matchAll(/docker\s+build\s+(?:\S+\s+)*?-t\s+(\S+)/g)].map((m) => m[1] ?? "")

/** True when an image reference names no registry host (`local/x:1`, `x:1`): it can only be loaded. */
export const isUnregistered = (image: string): boolean => {
  const first = image.split("/")[0] ?? ""
  return !image.includes("/") || !(first.includes(".") || first.includes(":") || first === "localhost")
}
