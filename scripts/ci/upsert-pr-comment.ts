// Posts the preview comment on a pull request, or updates ours (found by its first-line marker)
// so that each push edits one comment instead of adding another.
//
//   node dist/scripts/ci/upsert-pr-comment.js PR-NUMBER COMMENT.md
import * as fs from "node:fs";
import { PREVIEW_COMMENT_MARKER } from "../../review/render";
import { runScript } from "./gh";
import { GitHubClient, upsertMarkedComment } from "./github";

runScript("upsert-pr-comment", async ([pr, file]) => {
  if (!pr || !/^\d+$/.test(pr) || !file) throw new Error("usage: upsert-pr-comment.js PR-NUMBER COMMENT.md");
  const body = fs.readFileSync(file, "utf8");
  if (!body.startsWith(PREVIEW_COMMENT_MARKER))
    throw new Error(`${file} does not start with the preview marker`);
  const client = GitHubClient.fromEnvironment();
  const { action, id } = await upsertMarkedComment(client, Number(pr), PREVIEW_COMMENT_MARKER, body);
  process.stdout.write(action === "updated" ? `updated comment ${id}\n` : "created a comment\n");
});
