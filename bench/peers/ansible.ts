// The Ansible peer's inputs: its inventory, built from the same device files shelly-fleet reads,
// and the ansible-playbook command that answers the bench's question with it.
import * as path from "node:path";
import type { DesiredDevice } from "../../fleet";
import type { Run } from "../measure";
import { wireChecks } from "./wire-checks";

/** The inventory (YAML plugin, JSON form): group `shelly`, one host per device file, its values. */
export function ansibleInventory(devices: readonly DesiredDevice[]): object {
  const hosts: Record<string, object> = {};
  for (const device of devices) {
    // The playbook compares what the script compares: refuse, as it does, any other key.
    wireChecks(device.config, 1);
    hosts[device.name] = {
      base_url: device.address.replace(/\/$/, ""),
      mac: device.mac,
      want_name: device.config.device?.name ?? null,
      want_switch: (device.config.switch ?? []).map(({ id, name }) => ({ id, name })),
    };
  }
  return {
    all: {
      vars: { ansible_connection: "local", ansible_python_interpreter: "{{ ansible_playbook_python }}" },
      children: { shelly: { hosts } },
    },
  };
}

/** ansible-playbook in check mode with `forks` forks; the drifted devices land in `report`. */
export function ansibleRun(options: {
  playbook: string;
  inventory: string;
  report: string;
  forks: number;
  work: string;
  cwd: string;
}): Run {
  const dir = path.dirname(options.playbook);
  return {
    command: "ansible-playbook",
    args: [
      "--check",
      "--forks",
      String(options.forks),
      "-i",
      options.inventory,
      options.playbook,
      "-e",
      `drift_report=${options.report}`,
    ],
    cwd: options.cwd,
    env: {
      ANSIBLE_CONFIG: path.join(dir, "ansible.cfg"),
      ANSIBLE_LOCAL_TEMP: path.join(options.work, "tmp"),
      ANSIBLE_REMOTE_TEMP: path.join(options.work, "tmp"),
      ANSIBLE_HOME: path.join(options.work, "home"),
    },
  };
}
