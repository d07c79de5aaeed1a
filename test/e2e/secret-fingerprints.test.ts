// The state and every artifact of a run hold no value a dictionary can verify: after an up that
// writes an admin password, a WiFi key and MQTT passwords (Gen1 and Gen2+), each known password
// is tried, in every form derived from it, against every string of the exported state, a
// preview document (what CI uploads) and the apply journal.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { makeScratchProject, runCli, secretFiles } from "../support/cli";
import { verifiableSecrets } from "../support/dictionary-attack";

const PASSWORDS = {
  "secret.device-admin": "admin-pass-fp-31",
  "secret.wifi-iot": "wifi-pass-fp-32",
  "secret.mqtt-shelly": "mqtt-pass-fp-33",
};

describe("secret fingerprints", () => {
  let project: { dir: string; env: NodeJS.ProcessEnv };
  let garage: SimDevice;
  let porch: SimDevice;

  const cli = (...args: string[]) => runCli([...args, "--stack", "fp", "--dir", project.dir], project.env);

  beforeAll(async () => {
    garage = await startDevice(path.join(CAPTURES_DIR, "gen1-shelly1"), { rebootMs: 100 });
    porch = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { rebootMs: 100 });
    project = await makeScratchProject("e2e-fingerprints");
    const write = async (relative: string, text: string) => {
      const file = path.join(project.dir, "fleet", relative);
      await fs.mkdir(path.dirname(file), { recursive: true });
      await fs.writeFile(file, text);
    };
    const mqtt =
      '[mqtt]\nenabled = true\nserver = "10.0.20.5:1883"\nuser = "shelly"\npassword = { secret = "mqtt-shelly" }\n';
    await write(
      "devices/fp/garage.toml",
      `mac = "${garage.identity.mac}"\naddress = "${garage.address}"\n\n${mqtt}`,
    );
    await write(
      "devices/fp/porch.toml",
      `mac = "${porch.identity.mac}"\naddress = "${porch.address}"\n\n${mqtt}\n` +
        '[wifi.sta]\nenabled = true\nssid = "iot"\npassword = { secret = "wifi-iot" }\n\n' +
        '[auth]\nenabled = true\npassword = { secret = "device-admin" }\n',
    );
  });

  afterAll(async () => {
    await Promise.all([garage?.close(), porch?.close()]);
    if (project) await fs.rm(project.dir, { recursive: true, force: true });
  });

  test("no value in the state, a preview document or the journal verifies a password", async () => {
    const site = ["-c", `root=${path.join(project.dir, "fleet")}`, "-c", "site=fp"];
    const up = await cli("up", "--yes", "--create", ...site, ...secretFiles(PASSWORDS));
    expect(up.code, up.stdout + up.stderr).toBe(0);
    // The secrets were written: the planner fingerprinted each, so there is something to find.
    expect(porch.log.count({ kind: "write", rpc: "Shelly.SetAuth" })).toBe(1);
    expect(porch.log.count({ kind: "write", rpc: "MQTT.SetConfig" })).toBe(1);

    const preview = await cli("preview", "--json");
    expect(preview.code, preview.stderr).toBe(0);
    const state = execFileSync("pulumi", ["stack", "export", "--stack", "fp"], {
      cwd: project.dir,
      env: { ...process.env, ...project.env },
      encoding: "utf8",
    });
    const journal = await fs.readFile(path.join(project.dir, "state", "journal", "fp.jsonl"), "utf8");
    const documents = {
      state: JSON.parse(state),
      preview: JSON.parse(preview.stdout),
      journal: journal
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line)),
    };
    expect(verifiableSecrets(documents, Object.values(PASSWORDS))).toEqual([]);

    // The fingerprints are there, encrypted, and nowhere in plain text.
    const devices = documents.state.deployment.resources.filter((r: { type: string }) =>
      r.type.endsWith("shelly:Device"),
    );
    for (const device of devices) {
      expect(device.outputs.secretHashes).toHaveProperty("ciphertext");
      expect(device.outputs.lastApply).not.toHaveProperty("secretHashes");
      // The summary of the apply: its steps by title and outcome, not their requests.
      expect(device.outputs.lastApply.steps[0]).toEqual(
        expect.objectContaining({ title: expect.any(String), outcome: "applied" }),
      );
      expect(device.outputs.lastApply.steps[0]).not.toHaveProperty("request");
    }
  });
});
