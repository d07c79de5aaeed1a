// The scheduled drift check's issues: one per drifted device, found again by a marker in its
// body, updated while the drift lasts and closed once a check of its stack finds none.
import { showChangeCells } from "./fields";
import type { ResourceChange, StackPreview } from "./preview-changes";

export const DRIFT_LABEL = "drift";

export interface OpenIssue {
  number: number;
  title: string;
  body: string;
}

export type IssueAction =
  | { action: "create"; device: string; title: string; body: string }
  | { action: "update"; device: string; number: number; title: string; body: string }
  | { action: "close"; device: string; number: number; comment: string };

function marker(device: string): string {
  return `<!-- shelly-fleet-drift:${device} -->`;
}

function deviceOf(issue: OpenIssue): string | undefined {
  return /<!-- shelly-fleet-drift:(\S+) -->/.exec(issue.body)?.[1];
}

const OP_EXPLANATIONS: Record<ResourceChange["op"], string> = {
  update: "Its live configuration differs from the fleet files:",
  create: "It is in the fleet files but not yet managed: `shelly-fleet up` has not run since it was added.",
  delete:
    "It is managed but no longer in the fleet files: `shelly-fleet up` has not run since it was removed.",
  replace: "The engine would replace it.",
  renamed: "Its file was renamed and `shelly-fleet up` has not run since.",
};

function issueBody(stack: string, change: ResourceChange, runUrl: string | undefined): string {
  const lines = [
    marker(`${stack}/${change.name}`),
    `The scheduled drift check (\`shelly-fleet preview --stack ${stack} --expect-no-changes\`) found a difference on **${change.name}** (stack \`${stack}\`).`,
    "",
    OP_EXPLANATIONS[change.op],
  ];
  if (change.fields.length > 0) {
    lines.push("", "| Field | On the device | In the files |", "| --- | --- | --- |");
    for (const f of change.fields) {
      const [onDevice, inFiles] = showChangeCells(f.key, f.before, f.after);
      lines.push(`| \`${f.key}\` | ${onDevice} | ${inFiles} |`);
    }
  }
  lines.push(
    "",
    "To restore the files' values, run `shelly-fleet up` (or merge a change to main); to keep the device's, change the files.",
  );
  if (runUrl) lines.push("", `Found by ${runUrl}.`);
  return lines.join("\n");
}

/**
 * What to do on GitHub: create or update an issue per drifted device, close the open issues of
 * devices in a checked stack that no longer drift. Stacks whose check failed are left alone.
 */
export function planDriftIssues(
  checked: StackPreview[],
  openIssues: OpenIssue[],
  runUrl?: string,
): IssueAction[] {
  const openByDevice = new Map<string, OpenIssue>();
  for (const issue of openIssues) {
    const device = deviceOf(issue);
    if (device) openByDevice.set(device, issue);
  }
  const actions: IssueAction[] = [];
  const drifted = new Set<string>();
  for (const preview of checked) {
    for (const change of preview.changes.filter((c) => c.kind === "device")) {
      const device = `${preview.stack}/${change.name}`;
      drifted.add(device);
      const title = `Drift: ${device}`;
      const body = issueBody(preview.stack, change, runUrl);
      const open = openByDevice.get(device);
      actions.push(
        open
          ? { action: "update", device, number: open.number, title, body }
          : { action: "create", device, title, body },
      );
    }
  }
  const checkedStacks = new Set(checked.map((p) => p.stack));
  for (const [device, issue] of openByDevice) {
    if (drifted.has(device) || !checkedStacks.has(device.split("/")[0] ?? "")) continue;
    const comment = `The drift check${runUrl ? ` (${runUrl})` : ""} finds no difference on ${device} any more: closing.`;
    actions.push({ action: "close", device, number: issue.number, comment });
  }
  return actions;
}
