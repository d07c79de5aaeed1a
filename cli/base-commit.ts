// The base commit drift is told from change against: shared by pr-comment and preview.
import type { Fleet } from "../fleet";
import { baseFields } from "../review/base-fields";
import {
  defaultBaseCommit,
  gitFleetSource,
  loadFleetAtCommit,
  NotInGitRepositoryError,
  resolveCommit,
} from "../review/git-fleet";
import type { BaseCommit, BaseFields } from "../review/preview-changes";
import type { PreviewDigest } from "../review/preview-json";

export interface LoadedBase {
  commit: BaseCommit;
  fleet: Fleet;
}

/**
 * The base commit's fleet, or undefined (with a note on stderr) when no default base exists;
 * `quietOutsideGit`: without the note when the files are not in git (a preview there has
 * nothing to tell apart; a pull-request comment should have had a base).
 */
export async function loadBase(
  root: string,
  ref: string | undefined,
  { quietOutsideGit = false } = {},
): Promise<LoadedBase | undefined> {
  let source: Awaited<ReturnType<typeof gitFleetSource>>;
  let commit: BaseCommit;
  try {
    source = await gitFleetSource(root);
    commit =
      ref === undefined
        ? await defaultBaseCommit(source.repoRoot)
        : { commit: await resolveCommit(source.repoRoot, ref), label: `--base ${ref}` };
  } catch (err) {
    if (ref !== undefined) throw err;
    if (quietOutsideGit && err instanceof NotInGitRepositoryError) return undefined;
    process.stderr.write(`shelly-fleet: drift not told from change: ${(err as Error).message}\n`);
    return undefined;
  }
  return { commit, fleet: await loadFleetAtCommit(source, commit.commit) };
}

/** The site a preview's stack deploys: its config says, else the stack is named after it. */
function siteOf(digest: PreviewDigest, stack: string): string {
  return digest.config?.["shelly-fleet:site"] ?? stack;
}

/** The base commit's fields of the site a preview's stack deploys. */
export function baseFieldsOf(base: LoadedBase, digest: PreviewDigest, stack: string): BaseFields {
  return baseFields(base.fleet, siteOf(digest, stack), base.commit);
}
