// `shelly-fleet pr-comment`: the pull-request comment from `preview --json` documents.
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { checkFleetPolicies } from "../../policies/fleet";
import { analyzePreview, readPreviewFile } from "../../review/preview-changes";
import { GITHUB_COMMENT_LIMIT, renderPreviewComment } from "../../review/render";
import { baseFieldsOf, loadBase } from "../base-commit";
import { type Command, print } from "../command";
import { defaultRoot } from "../fleet-options";

const HELP = `Usage: shelly-fleet pr-comment --preview FILE [--preview FILE ...]

Turn \`shelly-fleet preview --json\` (or \`pulumi preview --json\`) documents, one per stack,
into a markdown pull-request comment: a summary per stack (devices, DHCP reservations and
aliases to change; drift and change counts; risks with their reasons: reboot, connectivity,
access, firmware; stack config changes), then each resource's field changes, each marked drift
(the device differs from the base commit's files; applying reverts it) or change (the pull
request set it). Secrets show as [secret]. Before all that, the safety policies' violations
of each stack's site (the files under --root, as \`validate\` checks them), per device with the
rule id, the file, line and key, and the fix. The comment fits
GitHub's ${GITHUB_COMMENT_LIMIT.toLocaleString("en")}-character limit: the summaries are kept, details that do
not fit are counted. Its first line is a marker the workflow uses to update the comment.

Options:
  -p, --preview FILE   a preview document (repeatable: one per stack); a document without
                       changes names no stack, so its file name (less .json) is used
  -b, --base REF       the commit drift is told from change against; default: the merge base
                       of HEAD with the default branch (origin/HEAD, main or master); when
                       there is none, fields are not marked
  -r, --root DIR       the fleet's root in the repository; default: the project around the
                       current directory
      --report-url URL where the fleet report of this run is (\`shelly-fleet report\`, e.g. the
                       workflow run's artifacts): the comment links to it; http(s) only
  -h, --help           show this help
`;

/** The URL, normalized (spaces and angle brackets escaped); a usage error unless http(s). */
function httpUrl(text: string): string {
  let url: URL | undefined;
  try {
    url = new URL(text);
  } catch {}
  if (url === undefined || (url.protocol !== "https:" && url.protocol !== "http:"))
    throw new UsageError(`--report-url ${JSON.stringify(text)}: not an http(s) URL`);
  return url.href;
}

export const prCommentCommand: Command = {
  name: "pr-comment",
  summary: "Render preview --json documents as a pull-request comment (markdown)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        preview: { type: "string", short: "p", multiple: true, default: [] },
        base: { type: "string", short: "b" },
        root: { type: "string", short: "r" },
        "report-url": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.preview.length === 0) throw new UsageError("pr-comment needs --preview FILE");
    const reportUrl = values["report-url"] === undefined ? undefined : httpUrl(values["report-url"]);
    // A preview without changes names no stack: the file name does (`<stack>.json` in CI).
    const digests = values.preview.map((file) => ({ file, digest: readPreviewFile(file) }));
    const base = await loadBase(
      values.root === undefined ? defaultRoot() : path.resolve(values.root),
      values.base,
    );
    const root = values.root === undefined ? defaultRoot() : path.resolve(values.root);
    const violations = digests.flatMap(({ file, digest }) => {
      const stack = analyzePreview(digest, path.basename(file, ".json")).stack;
      const site = digest.config?.["shelly-fleet:site"] ?? stack;
      return checkFleetPolicies(loadFleet({ root, site }));
    });
    const previews = digests.map(({ file, digest }) => {
      const stack = analyzePreview(digest, path.basename(file, ".json")).stack;
      return analyzePreview(digest, stack, base && baseFieldsOf(base, digest, stack));
    });
    print(renderPreviewComment(previews, GITHUB_COMMENT_LIMIT, reportUrl, violations));
    return 0;
  },
};
