// `shelly-fleet restore`: a backup written back to a device through the normal planner and
// executor: the managed keys' values become a desired configuration, the plan is shown first,
// and the apply rolls back what it wrote when a step fails.
import { randomBytes } from "node:crypto";
import * as fs from "node:fs";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { loadFleet } from "../../fleet";
import { adoptedConfig } from "../../providers/shelly/model/adopt";
import type { DeviceConfig } from "../../providers/shelly/model/catalog";
import { flattenLive } from "../../providers/shelly/model/normalize";
import { applyDevice, ShellyApplyError, ShellyPlanError } from "../../providers/shelly/plan/executor";
import { plan } from "../../providers/shelly/plan/planner";
import type { PlanInput } from "../../providers/shelly/plan/types";
import { openSession } from "../../providers/shelly/session";
import { type Command, print } from "../command";
import { askYesNo, canAsk } from "../confirm";
import { BACKUP_FORMAT, type DeviceBackup } from "../device-backup";
import { resolveFleetOptions } from "../fleet-options";
import { sitePassword } from "../live-devices";

const HELP = `Usage: shelly-fleet restore <backup-file> <device> [--preview | --yes] [--root DIR]

Write a backup (from \`shelly-fleet backup\`) back to a device of the fleet, through the same
planner and executor as \`up\`: the values the backup holds for the keys the model manages
become the desired configuration, the device is read, and only what differs is written.
The field list is shown first; then, on a terminal, the question "Restore these values?"
(default no). A step that fails rolls back what the restore wrote.

Not restored: auth (the login) and WiFi (a backup holds no passwords or keys: change those
through the files). Keys outside the model (raw settings the files do not name, scripts' code,
KVS) stay in the backup file for reference.

<device> is the device's file name; its address and MAC come from the files, and the site's
password (credentials.device_password: SHELLY_FLEET_SECRET_<NAME> or the stack config) goes only
to a device that showed that MAC first. The backup may come from another device (a replacement):
restore says so.

Options:
      --preview      show the field list only; write nothing
  -y, --yes          restore without asking (required when not on a terminal)
  -r, --root DIR     the fleet's root; default: the project around the current directory
  -h, --help         show this help
`;

function readBackupFile(file: string): DeviceBackup {
  let data: unknown;
  try {
    data = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (err) {
    throw new UsageError(`${file}: not a readable backup (${(err as Error).message.split("\n")[0]})`);
  }
  const backup = data as Partial<DeviceBackup> | null;
  if (backup?.["shelly-fleet-backup"] !== BACKUP_FORMAT || backup.documents === undefined) {
    throw new UsageError(`${file}: not a shelly-fleet backup (no "shelly-fleet-backup": ${BACKUP_FORMAT})`);
  }
  return backup as DeviceBackup;
}

/** The managed keys' values in the backup, as a desired configuration (auth and WiFi left out). */
export function restoreTarget(backup: DeviceBackup): DeviceConfig {
  const desired = adoptedConfig(flattenLive(backup.documents));
  delete desired.auth;
  delete desired.wifi;
  return desired;
}

export const restoreCommand: Command = {
  name: "restore",
  summary: "Write a backup back to a device through the planner (field list first, rollback on failure)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        preview: { type: "boolean", default: false },
        yes: { type: "boolean", short: "y", default: false },
        root: { type: "string", short: "r" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const [file, name, extra] = positionals;
    if (file === undefined || name === undefined)
      throw new UsageError("restore needs <backup-file> <device>");
    if (extra !== undefined) throw new UsageError(`unexpected argument "${extra}"`);
    if (values.preview && values.yes) throw new UsageError("--preview writes nothing: drop --yes");
    if (!values.preview && !values.yes && !canAsk()) {
      throw new UsageError(
        "restore asks before writing, but this is not a terminal: pass --yes (or --preview)",
      );
    }
    const backup = readBackupFile(file);
    const options = resolveFleetOptions(values);
    const fleet = loadFleet(options);
    const device = fleet.devices.find((d) => d.name === name);
    if (device === undefined) {
      const problem =
        fleet.errors.length > 0 ? " (the fleet files have errors: run `shelly-fleet validate`)" : "";
      throw new UsageError(`no device "${name}" in the fleet${problem}`);
    }
    if (backup.documents.generation !== (device.generation === 1 ? "gen1" : "gen2") && device.generation) {
      throw new UsageError(
        `${file} is a ${backup.documents.generation} backup; ${name} is generation ${device.generation}`,
      );
    }
    const site = fleet.sites.find((s) => s.name === device.site);
    const password = site ? await sitePassword(site, options.root) : undefined;
    const session = await openSession(device.address, { expectedMac: device.mac, password });

    print(`restore ${name} (${device.mac}) from ${file}, taken ${backup.taken}\n`);
    if (backup.mac !== device.mac) print(`note: the backup is of ${backup.mac}, another device\n`);
    const input: Omit<PlanInput, "documents"> = {
      device: name,
      desired: restoreTarget(backup),
      secrets: {},
      secretHashes: {},
      ...(password && { loginPassword: password }),
      salt: randomBytes(12).toString("base64url"),
    };
    const preview = plan({ ...input, documents: await session.readDocuments() });
    if (preview.errors.length > 0) {
      throw new UsageError(`cannot restore ${name}: ${preview.errors.join("; ")}`, 1);
    }
    if (preview.changes.length === 0) {
      print("the device matches the backup: nothing to restore\n");
      return 0;
    }
    for (const change of preview.changes) print(`  ~ ${change.line}\n`);
    print(`${preview.changes.length} field${preview.changes.length === 1 ? "" : "s"} to restore\n`);
    if (values.preview) return 0;
    if (!values.yes && !(await askYesNo("Restore these values?"))) {
      print("nothing written\n");
      return 0;
    }
    try {
      const { plan: applied, record } = await applyDevice(input, session, { expectedMac: device.mac });
      const reboot = record.rebooted ? " (rebooted)" : "";
      print(`restored ${applied.changes.length} fields on ${name}${reboot}\n`);
      return 0;
    } catch (err) {
      if (err instanceof ShellyPlanError)
        throw new UsageError(`cannot restore ${name}: ${err.errors.join("; ")}`, 1);
      if (err instanceof ShellyApplyError)
        throw new UsageError(`restore of ${name} failed: ${err.message}`, 1);
      throw err;
    } finally {
      await session.close();
    }
  },
};
