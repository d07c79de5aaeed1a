// Posts the preview comment on a pull request, or updates ours (found by its first-line marker)
// so that each push edits one comment instead of adding another.
//
//   node dist/scripts/ci/upsert-pr-comment.js PR-NUMBER COMMENT.md
import * as fs from "node:fs";
import { PREVIEW_COMMENT_MARKER } from "../../review/render";
import { gh, runScript } from "./gh";

runScript("upsert-pr-comment", ([pr, file]) => {
  if (!pr || !/^\d+$/.test(pr) || !file) throw new Error("usage: upsert-pr-comment.js PR-NUMBER COMMENT.md");
  const body = fs.readFileSync(file, "utf8");
  if (!body.startsWith(PREVIEW_COMMENT_MARKER))
    throw new Error(`${file} does not start with the preview marker`);
  const ids = gh([
    "api",
    "--paginate",
    `repos/{owner}/{repo}/issues/${pr}/comments`,
    "--jq",
    `.[] | select(.body | startswith("${PREVIEW_COMMENT_MARKER}")) | .id`,
  ])
    .split("\n")
    .filter(Boolean);
  const [existing] = ids;
  if (existing) {
    gh(
      ["api", "--method", "PATCH", `repos/{owner}/{repo}/issues/comments/${existing}`, "--input", "-"],
      JSON.stringify({ body }),
    );
    process.stdout.write(`updated comment ${existing}\n`);
  } else {
    gh(
      ["api", "--method", "POST", `repos/{owner}/{repo}/issues/${pr}/comments`, "--input", "-"],
      JSON.stringify({ body }),
    );
    process.stdout.write("created a comment\n");
  }
});
