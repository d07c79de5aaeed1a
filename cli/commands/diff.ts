// `shelly-fleet diff`: what a change to the fleet files does to each device's merged config,
// between two commits. Reads git objects only: no network, no Pulumi, no checkout.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { diskFiles, type Fleet, loadFleet } from "../../fleet";
import { diffFleets } from "../../review/config-diff";
import { gitFleetSource, loadFleetAtCommit, resolveCommit } from "../../review/git-fleet";
import { renderDiffJson, renderDiffMarkdown, renderDiffText } from "../../review/render";
import { type Command, print } from "../command";
import { defaultRoot, formatError } from "../fleet-options";

const HELP = `Usage: shelly-fleet diff <base-ref> [<head-ref>] [--root DIR] [--format text|markdown|json]

The difference of the merged desired config between two git commits, per device and field: a
profile change shows on every device it affects; devices added, removed and renamed (same MAC,
new file) are named as such. Secrets show as [secret]. Reads the repository's objects: no
network, no Pulumi, no checkout.

<head-ref> defaults to the working tree (the files on disk, committed or not), like
\`git diff <base-ref>\`. A ref is a branch, tag, remote branch (origin/main), HEAD or a commit
id, optionally followed by ~N or ^.

Exit status: 0 (whether or not anything changed), 1 when the fleet files at either side have
errors, 2 usage error (unknown ref, not a git repository).

Options:
  -r, --root DIR       the fleet's root (devices/, profiles/, stacks/) inside the repository;
                       default: the project around the current directory
  -f, --format FORMAT  text (default), markdown (for a pull request) or json
  -h, --help           show this help
`;

const FORMATS = { text: renderDiffText, markdown: renderDiffMarkdown, json: renderDiffJson };

export const diffCommand: Command = {
  name: "diff",
  summary: "Per-device, per-field config changes between two commits (offline)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: "string", short: "r" },
        format: { type: "string", short: "f", default: "text" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const [baseRef, headRef, extra] = positionals;
    if (baseRef === undefined)
      throw new UsageError("diff needs a base ref: `shelly-fleet diff <base-ref> [<head-ref>]`");
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    const render = FORMATS[values.format as keyof typeof FORMATS];
    if (render === undefined)
      throw new UsageError(`--format must be text, markdown or json, not "${values.format}"`);

    const root = values.root === undefined ? defaultRoot() : path.resolve(values.root);
    const source = await gitFleetSource(root);
    const base = await loadFleetAtCommit(source, await resolveCommit(source.repoRoot, baseRef));
    const head =
      headRef === undefined
        ? loadFleet({ root, files: diskFiles(root) })
        : await loadFleetAtCommit(source, await resolveCommit(source.repoRoot, headRef));
    const sides: [string, Fleet][] = [
      [baseRef, base],
      [headRef ?? "the working tree", head],
    ];
    const broken = sides.filter(([, fleet]) => fleet.errors.length > 0);
    for (const [ref, fleet] of broken) {
      process.stderr.write(`shelly-fleet: the fleet files at ${ref} have ${fleet.errors.length} error(s):\n`);
      for (const error of fleet.errors) process.stderr.write(`  ${formatError(error, root)}\n`);
    }
    if (broken.length > 0) return 1;
    print(render(diffFleets(base, head), { base: baseRef, head: headRef ?? "working tree" }));
    return 0;
  },
};
