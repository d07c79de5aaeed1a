// The fleet as it was at a git commit, read with isomorphic-git straight from the object store:
// no checkout, no `git` binary, no network.
import * as fs from "node:fs";
import * as path from "node:path";
import git from "isomorphic-git";
import { UsageError } from "../errors";
import type { Fleet, FleetFiles } from "../fleet";
import { loadFleet } from "../fleet";

/** The directories loadFleet reads, relative to the fleet root. */
const FLEET_DIRS = ["devices", "profiles", "stacks"];

export interface GitFleetSource {
  /** The repository's top directory. */
  repoRoot: string;
  /** The fleet root relative to it ("" when they coincide), with "/" separators. */
  prefix: string;
}

/** The repository that holds the fleet root; a usage error when there is none. */
/** The fleet's files are not in git (or in a directory git ignores): no base to compare with. */
export class NotInGitRepositoryError extends UsageError {}

export async function gitFleetSource(fleetRoot: string): Promise<GitFleetSource> {
  const root = path.resolve(fleetRoot);
  const repoRoot = await git.findRoot({ fs, filepath: root }).catch(() => {
    throw new NotInGitRepositoryError(`${root} is not inside a git repository`);
  });
  const prefix = path.relative(repoRoot, root).split(path.sep).join("/");
  if (prefix !== "" && (await git.isIgnored({ fs, dir: repoRoot, filepath: prefix }))) {
    throw new NotInGitRepositoryError(`${root} is in a directory git ignores`);
  }
  return { repoRoot, prefix };
}

/**
 * A commit id for `ref`: a branch, tag or remote branch (`main`, `origin/main`, `v1.2`), `HEAD`,
 * a full or abbreviated commit id, each optionally followed by `~N` or `^` (first parents).
 */
export async function resolveCommit(repoRoot: string, ref: string): Promise<string> {
  const match = /^(.+?)((?:~\d*|\^)*)$/.exec(ref);
  const [, name = ref, ancestry = ""] = match ?? [];
  let oid: string;
  try {
    oid = /^[0-9a-f]{4,40}$/i.test(name)
      ? await git
          .resolveRef({ fs, dir: repoRoot, ref: name })
          .catch(() => git.expandOid({ fs, dir: repoRoot, oid: name.toLowerCase() }))
      : await git.resolveRef({ fs, dir: repoRoot, ref: name });
  } catch {
    throw new UsageError(`unknown revision "${ref}" in ${repoRoot}`);
  }
  for (const step of ancestry.match(/~\d*|\^/g) ?? []) {
    const count = step === "^" || step === "~" ? 1 : Number(step.slice(1));
    for (let i = 0; i < count; i++) {
      const { commit } = await git.readCommit({ fs, dir: repoRoot, oid });
      const parent = commit.parent[0];
      if (parent === undefined) throw new UsageError(`revision "${ref}" goes past the first commit`);
      oid = parent;
    }
  }
  // A tag names a tag object; reading the commit checks that the ref leads to one.
  const { oid: commitOid } = await git.readCommit({ fs, dir: repoRoot, oid }).catch(() => {
    throw new UsageError(`revision "${ref}" is not a commit`);
  });
  return commitOid;
}

/** Every file under the fleet directories at the commit, by path relative to the fleet root. */
export async function readFleetTree(source: GitFleetSource, commit: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  const walk = async (relative: string): Promise<void> => {
    const filepath = source.prefix === "" ? relative : `${source.prefix}/${relative}`;
    const tree = await git
      .readTree({ fs, dir: source.repoRoot, oid: commit, filepath })
      .catch(() => undefined);
    for (const entry of tree?.tree ?? []) {
      const child = `${relative}/${entry.path}`;
      if (entry.type === "tree") await walk(child);
      else if (entry.type === "blob") {
        const { blob } = await git.readBlob({ fs, dir: source.repoRoot, oid: entry.oid });
        files.set(child, Buffer.from(blob).toString("utf8"));
      }
    }
  };
  for (const dir of FLEET_DIRS) await walk(dir);
  return files;
}

/** A FleetFiles over an in-memory tree. */
export function memoryFiles(files: Map<string, string>): FleetFiles {
  return {
    exists: (relative) => files.has(relative) || [...files.keys()].some((f) => f.startsWith(`${relative}/`)),
    read(relative) {
      const text = files.get(relative);
      if (text === undefined) throw new Error(`${relative}: no such file in the commit`);
      return text;
    },
    list(relative) {
      const entries = new Map<string, { name: string; isFile: boolean; isDirectory: boolean }>();
      for (const file of files.keys()) {
        if (!file.startsWith(`${relative}/`)) continue;
        const [name = "", ...rest] = file.slice(relative.length + 1).split("/");
        entries.set(name, { name, isFile: rest.length === 0, isDirectory: rest.length > 0 });
      }
      return [...entries.values()];
    },
  };
}

/** The fleet as loaded from the commit's files. */
export async function loadFleetAtCommit(source: GitFleetSource, commit: string): Promise<Fleet> {
  const files = await readFleetTree(source, commit);
  return loadFleet({ root: path.join(source.repoRoot, source.prefix), files: memoryFiles(files) });
}

/** The default branch, as the clone knows it: origin's HEAD, else main or master. */
async function defaultBranch(repoRoot: string): Promise<string | undefined> {
  // A symbolic ref, written by `git clone` (actions/checkout with fetch-depth 0 writes none).
  const originHead = await fs.promises
    .readFile(path.join(repoRoot, ".git", "refs", "remotes", "origin", "HEAD"), "utf8")
    .then((text) => /^ref: refs\/remotes\/(\S+)/.exec(text)?.[1])
    .catch(() => undefined);
  if (originHead !== undefined) return originHead;
  for (const name of ["origin/main", "origin/master", "main", "master"]) {
    const found = await git.resolveRef({ fs, dir: repoRoot, ref: name }).catch(() => undefined);
    if (found !== undefined) return name;
  }
  return undefined;
}

/** The merge base of HEAD with the default branch, named for the reader. */
export async function defaultBaseCommit(repoRoot: string): Promise<{ commit: string; label: string }> {
  const branch = await defaultBranch(repoRoot);
  if (branch === undefined)
    throw new UsageError(`no default branch (origin/HEAD, main, master) in ${repoRoot}`);
  const head = await resolveCommit(repoRoot, "HEAD");
  const [commit] = await git.findMergeBase({
    fs,
    dir: repoRoot,
    oids: [head, await resolveCommit(repoRoot, branch)],
  });
  if (commit === undefined) throw new UsageError(`HEAD and ${branch} have no common commit`);
  return { commit, label: `merge base with ${branch}` };
}
