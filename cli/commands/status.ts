// `shelly-fleet status`: one row per device file, from the files, the stack's state and a cheap
// live read; as a table, JSON, or a Prometheus textfile.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadProgram, openStack } from "../../automation/stack";
import { readStackConfig } from "../../automation/stack-config";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { formatMetrics } from "../../providers/shared/prometheus";
import { campaignLine } from "../../providers/shelly/plan/campaign";
import { positiveInteger } from "../bounded";
import { type CampaignStatus, campaignSettings, firmwareStatus } from "../campaign-status";
import { type Command, print } from "../command";
import {
  type AppliedState,
  appliedStateOf,
  readStateFile,
  readStatus,
  type StatusRow,
  statusMetrics,
} from "../device-status";
import { EXIT_DEVICES_NEED_ATTENTION } from "../engine-runs";
import { resolveFleetOptions } from "../fleet-options";

const HELP = `Usage: shelly-fleet status [options]

One row per device file: reachable, model, firmware and any offered update, uptime, WiFi RSSI,
IP, whether the configuration revision moved since the engine last read it (someone changed the
device: a cheap drift signal, no full read), restart required, and the last apply's time and result.

Firmware: a device whose file asks for a version it does not run shows the pending update
(PENDING: the target, its wave in the site's firmware campaign, "failed" when its latest install
failed, "held" when the campaign holds it now, with the reasons listed below the table); each site
with a campaign gets a line: the wave it is at, devices done and failed, and why it stopped. The
campaign's outcomes come from the ledger <journal dir>/<site>.firmware.json (the stack config's
shelly-fleet:journalDir with --stack, else --journal-dir, else the default beside a file backend).

The last apply and the recorded revision come from the stack's state: --stack NAME reads it (and
the login password from the decrypted stack config), --state FILE reads a saved
\`pulumi stack export\`. Without either, those columns are empty. Login passwords come from the
stack config (shelly-fleet:secret.<name>) or SHELLY_FLEET_SECRET_<NAME>, and go only to a device
that showed its file's MAC first.

Options:
  -s, --site NAME        only this site's devices
      --root DIR         the fleet root; default: the nearest directory above with a Pulumi.yaml
      --stack NAME       read the state and secrets of this stack
      --dir DIR          the Pulumi project directory of --stack (default: the fleet root)
      --state FILE       a \`pulumi stack export\` document to read the state from
      --concurrency N    devices read at once (default 32)
      --timeout MS       how long one device may take to answer (default 3000)
      --journal-dir DIR  where the campaign ledger is (default: see above)
      --json             one JSON document on stdout instead of the table: {devices, campaigns};
                         a device's pending update is its firmwarePending {target, wave, failed,
                         heldBy}; a campaign is {site, wave, waves, label, devices, done, failed,
                         stopped}
      --prometheus FILE  write the metrics in Prometheus text format to FILE (atomically, for
                         node_exporter's textfile collector) instead of the table
  -h, --help             show this help

Exit codes: 0 all devices fine, 8 one or more need attention (unreachable, another device at the
address, configuration changed since the apply, restart required, last apply not verified).
Unreachable devices are rows, not errors.
`;

const ago = (seconds: number | undefined): string => {
  if (seconds === undefined) return "";
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
};

function table(rows: readonly StatusRow[]): string {
  const header = [
    "DEVICE",
    "ADDRESS",
    "UP",
    "MODEL",
    "FIRMWARE",
    "UPDATE",
    "UPTIME",
    "RSSI",
    "IP",
    "CFG",
    "LAST APPLY",
    "PENDING",
    "ATTENTION",
  ];
  const cells = rows.map((r) => [
    `${r.site}/${r.device}`,
    r.address,
    r.reachable ? "yes" : "no",
    r.model ?? "",
    r.firmware?.split("/").pop() ?? "",
    r.update ?? "",
    ago(r.uptimeSeconds),
    r.rssiDbm === undefined ? "" : String(r.rssiDbm),
    r.ip ?? "",
    r.revision === undefined
      ? ""
      : `${r.revision}${r.configChanged ? ` (applied ${r.appliedRevision})` : ""}`,
    r.lastApply ? `${r.lastApply.at.slice(0, 16).replace("T", " ")} ${r.lastApply.result}` : "",
    pendingCell(r.firmwarePending),
    [...r.attention, ...(r.problem ? [r.problem] : [])].join("; "),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((c) => (c[i] as string).length)));
  return [header, ...cells]
    .map((c) =>
      c
        .map((cell, i) => cell.padEnd(widths[i] as number))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

/** `1.9.0 (wave 1 of 2, held)`: the target, its wave, and whether it failed or is held. */
function pendingCell(pending: StatusRow["firmwarePending"]): string {
  if (!pending) return "";
  const notes = [pending.wave, pending.failed && "failed", pending.heldBy && "held"].filter(Boolean);
  return notes.length > 0 ? `${pending.target} (${notes.join(", ")})` : pending.target;
}

/** Under the table: each site's campaign line, then each held device and why. */
function campaignLines(campaigns: CampaignStatus[], rows: readonly StatusRow[]): string {
  const lines = campaigns.map((c) => `Firmware campaign (${c.site}): ${campaignLine(c)}`);
  for (const r of rows) {
    if (r.firmwarePending?.failed) lines.push(`  ${r.site}/${r.device}: failed: ${r.firmwarePending.failed}`);
    if (r.firmwarePending?.heldBy) lines.push(`  ${r.site}/${r.device}: held: ${r.firmwarePending.heldBy}`);
  }
  return lines.length > 0 ? `\n${lines.join("\n")}\n` : "";
}

/** Writes beside the target and renames, so the textfile collector never reads half a file. */
function writeAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`);
  fs.writeFileSync(temporary, text);
  fs.renameSync(temporary, file);
}

async function stackStateAndSecrets(
  stackName: string,
  projectDir: string,
): Promise<{
  applied: Map<string, AppliedState>;
  secrets: Map<string, string>;
  config: Map<string, string>;
}> {
  const stack = await openStack({ projectDir, stackName, program: loadProgram() });
  const applied = appliedStateOf(await stack.exportStack());
  const config = await readStackConfig(stack);
  const secrets = new Map<string, string>();
  for (const [key, value] of config) {
    const name = /^shelly-fleet:secret\.(.+)$/.exec(key)?.[1];
    if (name) secrets.set(name, value);
  }
  return { applied, secrets, config };
}

export const statusCommand: Command = {
  name: "status",
  summary: "One row per device: reachable, firmware, drift signal, last apply",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        site: { type: "string", short: "s" },
        root: { type: "string" },
        stack: { type: "string" },
        dir: { type: "string" },
        state: { type: "string" },
        concurrency: { type: "string" },
        timeout: { type: "string" },
        json: { type: "boolean", default: false },
        prometheus: { type: "string" },
        "journal-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.json && values.prometheus !== undefined)
      throw new UsageError("--json and --prometheus: choose one");
    if (values.stack && values.state) throw new UsageError("--stack and --state: choose one");
    const concurrency = positiveInteger(values.concurrency, "--concurrency", 32);
    const timeoutMs = positiveInteger(values.timeout, "--timeout", 3000);
    const { root, site } = resolveFleetOptions(values);
    const fleet = loadFleet({ root, site });

    let applied = new Map<string, AppliedState>();
    let secrets: Map<string, string> | undefined;
    let config = new Map<string, string>();
    if (values.state !== undefined) {
      applied = readStateFile(values.state);
    } else if (values.stack !== undefined) {
      ({ applied, secrets, config } = await stackStateAndSecrets(
        values.stack,
        values.dir ? path.resolve(values.dir) : root,
      ));
    }

    const rows = await readStatus(fleet.devices, fleet.sites, applied, { concurrency, timeoutMs, secrets });
    if (values["journal-dir"] !== undefined) config.set("shelly-fleet:journalDir", values["journal-dir"]);
    const projectDir = values.dir ? path.resolve(values.dir) : root;
    const campaigns = firmwareStatus(
      fleet,
      rows,
      campaignSettings(config, projectDir, process.env.PULUMI_BACKEND_URL),
    );
    if (values.prometheus !== undefined) {
      writeAtomically(values.prometheus, formatMetrics(statusMetrics(rows)));
    } else if (values.json) {
      print(`${JSON.stringify({ devices: rows, campaigns }, null, 2)}\n`);
    } else {
      const attention = rows.filter((r) => r.attention.length > 0).length;
      print(
        `${table(rows)}\n${campaignLines(campaigns, rows)}\n${rows.length} devices, ${rows.filter((r) => r.reachable).length} reachable, ${attention} need attention.\n`,
      );
    }
    return rows.some((r) => r.attention.length > 0) ? EXIT_DEVICES_NEED_ATTENTION : 0;
  },
};
