// The nmcli link with a fake `nmcli` first on PATH (it records its calls and answers a scan);
// the protocol steps run against a simulated device on loopback. No real nmcli ever runs.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { runProvisioning } from "../../providers/provision/machine";
import { NmcliLink, PROVISION_CONNECTION, splitTerse } from "../../providers/provision/nmcli";
import { jobFor, type NewDevice, startNewDevice } from "./support";

const FAKE_NMCLI = `#!/bin/sh
printf '%s\\n' "$*" >> "$FAKE_NMCLI_LOG"
case "$*" in
  *"device wifi list"*) cat "$FAKE_NMCLI_SCAN" ;;
  *"connection show --active"*) printf 'Home\\\\:WiFi:wlan0\\nWired:eth0\\n' ;;
esac
`;

describe("the nmcli link", () => {
  let dir: string;
  let log: string;
  let scan: string;
  let savedPath: string | undefined;
  const calls = async () => (await fs.readFile(log, "utf8")).trim().split("\n");

  beforeAll(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), "fake-nmcli-"));
    await fs.writeFile(path.join(dir, "nmcli"), FAKE_NMCLI, { mode: 0o755 });
    log = path.join(dir, "calls.log");
    scan = path.join(dir, "scan.txt");
    savedPath = process.env.PATH;
    process.env.PATH = `${dir}:${process.env.PATH}`;
    process.env.FAKE_NMCLI_LOG = log;
    process.env.FAKE_NMCLI_SCAN = scan;
  });

  afterAll(async () => {
    process.env.PATH = savedPath;
    await fs.rm(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await fs.writeFile(log, "");
  });

  test("splits terse output on unescaped colons", () => {
    expect(splitTerse("Home\\:WiFi:wlan0")).toEqual(["Home:WiFi", "wlan0"]);
  });

  test("scans for the device's Shelly SSID, joins it, and restores the previous connection", async () => {
    let fresh: NewDevice | undefined;
    try {
      fresh = await startNewDevice("gen2-pro4pm");
      // Another new device nearby (stronger) and a home network: only this device's SSID is joined.
      await fs.writeFile(
        scan,
        "ShellyPlus1PM-A8032AB12345:90\nHome\\:WiFi:80\nShellyPro4PM-34987A67D7D0:40\n",
      );
      const outcome = await runProvisioning(jobFor(fresh), new NmcliLink("wlan1"));
      expect(outcome.apSsid).toBe("ShellyPro4PM-34987A67D7D0");
      expect(fresh.device.inApMode).toBe(false);
      expect(await calls()).toEqual([
        "-t -f SSID,SIGNAL device wifi list ifname wlan1 --rescan yes",
        "-t -f NAME,DEVICE connection show --active",
        `connection delete ${PROVISION_CONNECTION}`,
        `device wifi connect ShellyPro4PM-34987A67D7D0 ifname wlan1 name ${PROVISION_CONNECTION}`,
        `connection delete ${PROVISION_CONNECTION}`,
        // The fake reports "Home:WiFi" on wlan0, not wlan1: nothing to bring back on wlan1.
      ]);
    } finally {
      await fresh?.device.close();
    }
  });

  test("brings the previous connection of the same interface back up", async () => {
    let fresh: NewDevice | undefined;
    try {
      fresh = await startNewDevice("gen2-pro4pm");
      await fs.writeFile(scan, "ShellyPro4PM-34987A67D7D0:40\n");
      await runProvisioning(jobFor(fresh), new NmcliLink("wlan0"));
      expect((await calls()).slice(-2)).toEqual([
        `connection delete ${PROVISION_CONNECTION}`,
        "connection up Home:WiFi ifname wlan0",
      ]);
    } finally {
      await fresh?.device.close();
    }
  });

  test("no SSID of this device in range: findAp fails, nothing joined", async () => {
    let fresh: NewDevice | undefined;
    try {
      fresh = await startNewDevice("gen2-pro4pm");
      await fs.writeFile(scan, "ShellyPlus1PM-A8032AB12345:90\n");
      const run = runProvisioning(jobFor(fresh, { timeoutsMs: { findAp: 1_000 } }), new NmcliLink("wlan0"));
      await expect(run).rejects.toThrow(
        /no access point ending in 34987A67D7D0 found through nmcli on wlan0/,
      );
      expect((await calls()).every((c) => c.includes("device wifi list"))).toBe(true);
      expect(fresh.device.log.count({ kind: "write" })).toBe(0);
    } finally {
      await fresh?.device.close();
    }
  });
});
