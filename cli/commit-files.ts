// `--commit` for export and backup: the written files committed with isomorphic-git, in the git
// repository around the output directory (one is made there when there is none).
import * as fs from "node:fs";
import * as path from "node:path";
import git from "isomorphic-git";

/** Commits `files` (absolute paths); returns the commit's id, or undefined when nothing changed. */
export async function commitFiles(
  outDir: string,
  files: string[],
  message: string,
): Promise<string | undefined> {
  const dir = await git.findRoot({ fs, filepath: path.resolve(outDir) }).catch(async () => {
    await git.init({ fs, dir: path.resolve(outDir), defaultBranch: "main" });
    return path.resolve(outDir);
  });
  for (const file of files)
    await git.add({ fs, dir, filepath: path.relative(dir, file).split(path.sep).join("/") });
  const status = await git.statusMatrix({
    fs,
    dir,
    filepaths: files.map((f) => path.relative(dir, f).split(path.sep).join("/")),
  });
  // [file, HEAD, workdir, stage]: staged equal to HEAD means nothing to commit.
  if (status.every(([, head, , stage]) => head === 1 && stage === 1)) return undefined;
  const author = {
    name: process.env.GIT_AUTHOR_NAME ?? "shelly-fleet",
    email: process.env.GIT_AUTHOR_EMAIL ?? "shelly-fleet@localhost",
  };
  return git.commit({ fs, dir, message, author });
}
