// Text, markdown and JSON for reviewers: `shelly-fleet diff` and the pull-request comment.
import type { Violation } from "../policies/rules";
import type { DeviceDiff, FleetDiff } from "./config-diff";
import {
  type FieldChange,
  type FieldOrigin,
  maskedValue,
  RISK_CLASSES,
  type RiskClass,
  riskOf,
  showChange,
  showChangeCells,
  showValue,
} from "./fields";
import type { ChangeOp, ResourceChange, ResourceKind, StackPreview } from "./preview-changes";

/** GitHub rejects a comment body longer than this. */
export const GITHUB_COMMENT_LIMIT = 65_536;
/** The first line of our pull-request comment: how the workflow finds it to update it. */
export const PREVIEW_COMMENT_MARKER = "<!-- shelly-fleet-preview -->";

const RISK_LABELS: Record<RiskClass, string> = {
  reboot: "reboot",
  connectivity: "connectivity (WiFi, IP, credentials)",
  access: "access (login, admin password)",
  firmware: "firmware",
};

const ORIGIN_TEXT: Record<FieldOrigin, string> = {
  drift: "drift: changed on the device; applying reverts it",
  change: "change: set by this pull request",
};

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}

/** Markdown table cells: no pipes or newlines from values. */
function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/\r?\n/g, " ");
}

function code(text: string): string {
  return text === "" ? "" : `\`${text.replace(/`/g, "'")}\``;
}

// ---------------------------------------------------------------------------------------------
// `shelly-fleet diff`

export interface DiffRange {
  base: string;
  head: string;
}

const DIFF_SIGNS: Record<DeviceDiff["kind"], string> = {
  added: "+",
  removed: "-",
  renamed: ">",
  changed: "~",
};

function diffCountsLine(diff: FleetDiff): string {
  const { changed, added, removed, renamed } = diff.counts;
  if (diff.devices.length === 0) return "no device changes";
  return [
    changed && `${plural(changed, "device")} changed`,
    added && `${added} added`,
    removed && `${removed} removed`,
    renamed && `${renamed} renamed`,
  ]
    .filter(Boolean)
    .join(", ");
}

function deviceTitle(device: DeviceDiff): string {
  const id = `${device.site}/${device.name}`;
  if (device.kind === "renamed" && device.previous) {
    return `${device.previous.site}/${device.previous.name} → ${id} (${device.file}, same MAC ${device.mac})`;
  }
  return `${id} (${device.file})`;
}

export function renderDiffText(diff: FleetDiff, range: DiffRange): string {
  const lines = [`diff ${range.base}..${range.head}: ${diffCountsLine(diff)}`];
  for (const device of diff.devices) {
    const risks = device.risks.length > 0 ? `  [${device.risks.join(", ")}]` : "";
    lines.push("", `${DIFF_SIGNS[device.kind]} ${device.kind} ${deviceTitle(device)}${risks}`);
    if (device.kind === "removed") continue;
    for (const field of device.fields) {
      const change =
        device.kind === "added"
          ? showValue(field.key, field.after)
          : showChange(field.key, field.before, field.after);
      lines.push(`    ${field.key}: ${change}${field.setIn ? `    (${field.setIn})` : ""}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

export function renderDiffMarkdown(diff: FleetDiff, range: DiffRange): string {
  const parts = [
    `### Fleet config diff \`${range.base}\` → \`${range.head}\``,
    "",
    `${diffCountsLine(diff)}.`,
  ];
  for (const device of diff.devices) {
    const risks = device.risks.length > 0 ? ` · risk: ${device.risks.join(", ")}` : "";
    parts.push("", `#### ${DIFF_SIGNS[device.kind]} ${device.kind}: ${deviceTitle(device)}${risks}`);
    if (device.kind === "removed") {
      parts.push("", "No longer managed; the device keeps its configuration.");
      continue;
    }
    if (device.fields.length === 0) continue;
    parts.push("", "| Field | Before | After | Set in |", "| --- | --- | --- | --- |");
    for (const field of device.fields) {
      const [before, after] = showChangeCells(field.key, field.before, field.after);
      parts.push(`| ${code(field.key)} | ${cell(before)} | ${cell(after)} | ${field.setIn ?? ""} |`);
    }
  }
  return `${parts.join("\n")}\n`;
}

export function renderDiffJson(diff: FleetDiff, range: DiffRange): string {
  const devices = diff.devices.map((device) => ({
    ...device,
    fields: device.fields.map((field) => ({
      ...field,
      ...("before" in field && { before: maskedValue(field.key, field.before) }),
      ...("after" in field && { after: maskedValue(field.key, field.after) }),
    })),
  }));
  return `${JSON.stringify({ ...range, counts: diff.counts, devices }, null, 2)}\n`;
}

// ---------------------------------------------------------------------------------------------
// The pull-request comment, from one preview per stack

/** In the order the summary counts them. */
const OP_WORDS: Record<ChangeOp, string> = {
  update: "to update",
  renamed: "renamed",
  create: "to create",
  delete: "to delete",
  replace: "to replace",
};
const KIND_TITLES: Record<ResourceKind, string> = {
  device: "Devices",
  reservation: "DHCP reservations",
  alias: "Aliases",
};
const KIND_NAMES: Record<ResourceKind, string> = {
  device: "device",
  reservation: "DHCP reservation",
  alias: "alias",
};

function countsByOp(changes: ResourceChange[]): string {
  if (changes.length === 0) return "no changes";
  const counts = new Map<ChangeOp, number>();
  for (const change of changes) counts.set(change.op, (counts.get(change.op) ?? 0) + 1);
  return (Object.keys(OP_WORDS) as ChangeOp[])
    .filter((op) => counts.has(op))
    .map((op) => `${counts.get(op)} ${OP_WORDS[op]}`)
    .join(", ");
}

/** At most `max` names: a summary must stay short whatever the fleet's size. */
function nameList(names: string[], max = 10): string {
  const shown = names.slice(0, max).join(", ");
  return names.length > max ? `${shown} and ${names.length - max} more` : shown;
}

function changeName(change: ResourceChange): string {
  return change.previousName ? `${change.previousName} → ${change.name}` : change.name;
}

/** How many fields are drift and how many the pull request's, against which commit. */
function baseLine(preview: StackPreview): string {
  if (preview.base === undefined) return "- **Drift or change:** not told apart (no base commit)";
  const count = (origin: FieldOrigin) => {
    const changes = preview.changes.filter((c) => c.fields.some((f) => f.origin === origin));
    const fields = changes.reduce((n, c) => n + c.fields.filter((f) => f.origin === origin).length, 0);
    return `${plural(fields, "field")} on ${plural(changes.length, "resource")}`;
  };
  return (
    `- **Against base** ${code(preview.base.commit.slice(0, 12))} (${preview.base.label}): ` +
    `drift ${count("drift")} (changed on the device; applying reverts it), change ${count("change")}`
  );
}

/** The summary of one stack: always kept whole, whatever the length of the details. */
function stackSummary(preview: StackPreview): string {
  const lines = [`#### Stack \`${preview.stack || "(unknown)"}\``, ""];
  for (const kind of Object.keys(KIND_TITLES) as ResourceKind[]) {
    lines.push(`- **${KIND_TITLES[kind]}:** ${countsByOp(preview.changes.filter((c) => c.kind === kind))}`);
  }
  lines.push(baseLine(preview));
  // One line per risk and reason: what is at stake, then who.
  const risks = new Map<string, { risk: RiskClass; reason: string; names: string[] }>();
  for (const change of preview.changes) {
    for (const { risk, reason } of change.risks) {
      const entry = risks.get(`${risk}\n${reason}`) ?? { risk, reason, names: [] };
      entry.names.push(changeName(change));
      risks.set(`${risk}\n${reason}`, entry);
    }
  }
  const byClass = [...risks.values()].sort(
    (a, b) => RISK_CLASSES.indexOf(a.risk) - RISK_CLASSES.indexOf(b.risk),
  );
  lines.push(`- **Risk:** ${byClass.length === 0 ? "none" : ""}`.trimEnd());
  for (const { risk, reason, names } of byClass) {
    lines.push(`  - :warning: **${RISK_LABELS[risk]}:** ${nameList(names)} (${cell(reason)})`);
  }
  if (preview.configChanges.length > 0) {
    const keys = preview.configChanges.map((f) => {
      const how = f.before === undefined ? "added" : f.after === undefined ? "removed" : "changed";
      return `${code(f.key)} ${how}`;
    });
    lines.push(`- **Stack config:** ${keys.join(", ")}`);
  }
  for (const diagnostic of preview.diagnostics.filter(
    (d) => d.severity === "error" || d.severity === "warning",
  )) {
    lines.push(`- **${diagnostic.severity}:** ${cell(diagnostic.message.trim())}`);
  }
  return lines.join("\n");
}

function riskCell(kind: ResourceKind, key: string): string {
  const risk = riskOf(key, kind);
  return risk ? cell(`${risk.risk}: ${risk.reason}`) : "";
}

/** One resource's details: a collapsible table of fields, each with its origin and risk. */
function changeDetails(change: ResourceChange): string {
  const origins = change.fields.filter((f) => f.origin !== undefined).length;
  const count = change.fields.length ? ` (${plural(change.fields.length, "field")})` : "";
  const title = `${KIND_NAMES[change.kind]} <b>${changeName(change)}</b>: ${change.op}${count}`;
  const lines = ["<details>", `<summary>${title}</summary>`, ""];
  const what = (field: FieldChange) =>
    origins > 0 ? ` ${field.origin ? ORIGIN_TEXT[field.origin] : ""} |` : "";
  const whatHead = origins > 0 ? [" What |", " --- |"] : ["", ""];
  if (change.op === "delete") {
    lines.push("No longer managed; the device keeps its configuration.");
  } else if (change.fields.length === 0) {
    lines.push(hiddenChangeText(change));
  } else if (change.op === "create" && change.live !== "read") {
    if (change.kind === "device") {
      const why = change.live
        ? `could not read the device (${change.live.unreadable})`
        : "did not read the device";
      lines.push(`The preview ${why} before adopting it: these values overwrite whatever it has.`, "");
    }
    lines.push(`| Field | Value |${whatHead[0]} Risk |`, `| --- | --- |${whatHead[1]} --- |`);
    for (const f of change.fields) {
      lines.push(
        `| ${code(f.key)} | ${cell(showValue(f.key, f.after))} |${what(f)} ${riskCell(change.kind, f.key)} |`,
      );
    }
  } else {
    if (change.op === "create") {
      lines.push("Read from the device before adopting it: what it has now → what the files set.", "");
    }
    lines.push(`| Field | Now | After |${whatHead[0]} Risk |`, `| --- | --- | --- |${whatHead[1]} --- |`);
    for (const f of change.fields) {
      const [before, after] = showChangeCells(f.key, f.before, f.after);
      lines.push(
        `| ${code(f.key)} | ${cell(before)} | ${cell(after)} |${what(f)} ${riskCell(change.kind, f.key)} |`,
      );
    }
  }
  lines.push("", "</details>");
  return lines.join("\n");
}

/**
 * The comment body: the marker, every stack's summary, then per-resource field diffs until the
 * limit; what does not fit is counted in a closing line, never cut mid-table.
 */
export function renderPreviewComment(
  previews: StackPreview[],
  limit = GITHUB_COMMENT_LIMIT,
  reportUrl?: string,
  violations: Violation[] = [],
): string {
  const header = [
    PREVIEW_COMMENT_MARKER,
    "### shelly-fleet preview",
    "",
    ...policySection(violations),
    // An angle-bracketed destination: a URL's parentheses cannot end the link early.
    ...(reportUrl
      ? [`[Fleet report](<${reportUrl}>): overview, topology, drift and a page per device.`, ""]
      : []),
    ...previews.map(stackSummary).flatMap((summary) => [summary, ""]),
  ].join("\n");
  const details = previews.flatMap((p) => p.changes.map(changeDetails));
  const omittedNote = (count: number) =>
    `\n_${plural(count, "more change")} not shown (GitHub's comment limit); the workflow's log and artifacts have the full preview._\n`;
  // Room for the note, whatever the count's width.
  const budget = limit - header.length - omittedNote(details.length).length;
  let body = header;
  let shown = 0;
  for (const section of details) {
    if (body.length + section.length + 2 > header.length + budget) break;
    body += `\n${section}\n`;
    shown++;
  }
  if (shown < details.length) body += omittedNote(details.length - shown);
  if (body.length > limit) {
    // Even the summaries are too long (thousands of devices): cut them, keeping the marker.
    const note = "\n\n_Summary cut at GitHub's comment limit._\n";
    body = body.slice(0, limit - note.length) + note;
  }
  return body;
}

/**
 * The safety policies' violations, before everything else: per device, each with its rule id,
 * level, where (file:line and key) and the fix. Mandatory ones block `up`.
 */
export function policySection(violations: Violation[]): string[] {
  if (violations.length === 0) return [];
  const mandatory = violations.filter((v) => v.level === "mandatory").length;
  const lines = [
    `#### Policy violations: ${mandatory} mandatory (\`up\` refuses to run), ${violations.length - mandatory} advisory`,
    "",
  ];
  const devices = [...new Set(violations.map((v) => v.device))];
  for (const device of devices) {
    lines.push(`- **${device}**`);
    for (const v of violations.filter((x) => x.device === device)) {
      const where = v.line === undefined ? v.file : `${v.file}:${v.line}`;
      lines.push(`  - \`${v.rule}\` (${v.level}) \`${where}\` \`${v.key}\`: ${v.message}. Fix: ${v.fix}`);
    }
  }
  lines.push("");
  return lines;
}

/** What an update without visible fields changes: a secret's value (never shown), or plumbing. */
function hiddenChangeText(change: ResourceChange): string {
  const secrets = change.hidden?.secrets ?? [];
  if (change.hidden?.providerVersion)
    return "the provider's version changed: nothing is written to the device";
  if (secrets.length === 1) return `secret \`${secrets[0]}\` changed (value not shown)`;
  if (secrets.length > 1) {
    return `a secret changed (value not shown): one of ${secrets.map((name) => `\`${name}\``).join(", ")}`;
  }
  return "No visible field changes: only secret values (masked) or the provider's version differ.";
}

/** A campaign device's place and whether the campaign holds its install now (cli/campaign-status.ts). */
export interface FirmwareNote {
  wave: string;
  heldBy?: string;
}

/**
 * Under a device with a firmware change: `firmware: 1.1.0 → 1.9.0 (wave 1 of 2)`, or `held: <why>`
 * when the campaign holds it back now.
 */
function firmwareLine(change: ResourceChange, note: FirmwareNote | undefined): string | undefined {
  const field = change.fields.find((f) => /^firmware\.(pin|version|minimum)$/.test(f.key));
  if (!field || !note) return undefined;
  if (note.heldBy) return `held: ${note.heldBy}`;
  const target = field.key === "firmware.minimum" ? `≥ ${String(field.after)}` : String(field.after);
  return `firmware: ${String(field.before ?? "?")} → ${target} (${note.wave})`;
}

/**
 * The field-by-field summary printed after a text preview: the engine gives no detailed diff
 * for dynamic providers, and its `--diff` output repeats whole objects.
 */
export function renderPreviewFieldSummary(
  preview: StackPreview,
  firmware: ReadonlyMap<string, FirmwareNote> = new Map(),
): string {
  if (preview.changes.length === 0) return "";
  const verbs: Record<string, string> = {
    create: "+ adopt and configure",
    update: "~ update",
    delete: "- release",
    replace: "+- replace",
    renamed: "~ renamed",
  };
  const lines = ["", "Changes by field (live → files):"];
  for (const change of preview.changes) {
    const label = change.previousName ? `${change.previousName} → ${change.name}` : change.name;
    if (change.op === "create" && change.live !== "read") {
      // A new resource: every setting is new; the count says enough here.
      const unread = change.live ? `; could not read it first: ${change.live.unreadable}` : "";
      lines.push(`  ${verbs.create} ${change.kind} ${label} (${change.fields.length} settings${unread})`);
      continue;
    }
    lines.push(`  ${verbs[change.op] ?? change.op} ${change.kind} ${label}`);
    if (change.fields.length === 0 && change.op === "update") lines.push(`      ${hiddenChangeText(change)}`);
    for (const field of change.fields) {
      const origin = field.origin ? `    (${ORIGIN_TEXT[field.origin]})` : "";
      lines.push(`      ${field.key}: ${showChange(field.key, field.before, field.after)}${origin}`);
    }
    const note = change.kind === "device" ? firmwareLine(change, firmware.get(change.name)) : undefined;
    if (note) lines.push(`      ${note}`);
  }
  return `${lines.join("\n")}\n`;
}
