// The drift check's GitHub side: given the previews of the stacks it checked (`<stack>.json`,
// from `shelly-fleet preview --json --expect-no-changes`), opens or updates one issue per drifted
// device and closes the issues of devices that no longer drift.
//
//   node dist/scripts/ci/drift-issues.js [--dry-run] [--run-url URL] PREVIEW.json...
//
// --dry-run prints the actions as JSON instead of carrying them out (open issues are still read).
import * as path from "node:path";
import { parseArgs } from "node:util";
import { DRIFT_LABEL, type OpenIssue, planDriftIssues } from "../../review/drift";
import { analyzePreview, readPreviewFile } from "../../review/preview-changes";
import { gh, runScript } from "./gh";

runScript("drift-issues", (argv) => {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { "dry-run": { type: "boolean", default: false }, "run-url": { type: "string" } },
  });
  if (positionals.length === 0) throw new Error("give the preview documents of the checked stacks");
  const previews = positionals.map((file) =>
    analyzePreview(readPreviewFile(file), path.basename(file, ".json")),
  );
  const open = JSON.parse(
    gh([
      "issue",
      "list",
      "--label",
      DRIFT_LABEL,
      "--state",
      "open",
      "--limit",
      "1000",
      "--json",
      "number,title,body",
    ]),
  ) as OpenIssue[];
  const actions = planDriftIssues(previews, open, values["run-url"]);
  if (values["dry-run"]) {
    process.stdout.write(`${JSON.stringify(actions, null, 2)}\n`);
    return;
  }
  if (actions.some((a) => a.action === "create")) {
    gh([
      "label",
      "create",
      DRIFT_LABEL,
      "--force",
      "--color",
      "D93F0B",
      "--description",
      "A device differs from the fleet files",
    ]);
  }
  for (const action of actions) {
    if (action.action === "create") {
      gh(
        ["issue", "create", "--title", action.title, "--label", DRIFT_LABEL, "--body-file", "-"],
        action.body,
      );
    } else if (action.action === "update") {
      gh(["issue", "edit", String(action.number), "--title", action.title, "--body-file", "-"], action.body);
    } else {
      gh(["issue", "close", String(action.number), "--comment", action.comment]);
    }
    process.stdout.write(`${action.action} ${action.device}\n`);
  }
});
