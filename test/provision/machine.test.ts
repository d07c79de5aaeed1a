// The state machine with the direct link against simulated new devices on loopback.
import { afterEach, describe, expect, test } from "vitest";
import { DirectLink } from "../../providers/provision/direct";
import { ProvisionError } from "../../providers/provision/job";
import { runProvisioning } from "../../providers/provision/machine";
import { freePort, gen1Settings, gen2Config, jobFor, type NewDevice, startNewDevice } from "./support";

const started: NewDevice[] = [];
async function fresh(...args: Parameters<typeof startNewDevice>): Promise<NewDevice> {
  const device = await startNewDevice(...args);
  started.push(device);
  return device;
}
afterEach(async () => {
  await Promise.all(started.splice(0).map((d) => d.device.close()));
});

/** The writes the device received, in order: RPC methods (Gen2+) or paths (Gen1). */
const writes = (d: NewDevice) =>
  d.device.log
    .entries()
    .filter((e) => e.kind === "write")
    .map((e) => e.rpc ?? e.path);

describe("provisioning with the direct link", () => {
  test("Gen2+: settings in AP mode, WiFi last, then on the network with AP and BLE RPC off", async () => {
    // The Plus 1PM capture has BLE RPC on: harden must switch it off.
    const d = await fresh("gen2-plus1pm");
    const steps: string[] = [];
    const outcome = await runProvisioning(jobFor(d), new DirectLink(), {
      onProgress: (e) => e.phase === "done" && steps.push(e.step),
    });
    expect(steps).toEqual([
      "findAp",
      "joinAp",
      "identify",
      "configure",
      "setStation",
      "leaveAp",
      "verify",
      "harden",
    ]);
    expect(outcome).toMatchObject({ generation: "gen2", alreadyOnNetwork: false });
    expect(d.device.inApMode).toBe(false);
    expect(d.device.address).toBe(`http://${d.stationAddress}`);
    const inAp = writes(d).slice(0, writes(d).indexOf("WiFi.SetConfig") + 1);
    expect(inAp).toEqual(expect.arrayContaining(["Sys.SetConfig", "Cloud.SetConfig", "Shelly.SetAuth"]));
    expect(inAp.at(-1)).toBe("WiFi.SetConfig");
    const config = await gen2Config(d.stationAddress, "porch-admin-pw");
    expect(config).toMatchObject({
      wifi: { ap: { enable: false }, sta: { ssid: "iot-net", enable: true } },
      ble: { rpc: { enable: false } },
      cloud: { enable: false },
      sys: { device: { name: "Porch" } },
    });
  });

  test("Gen1: /settings/sta is the last write at the AP (it switches the AP off at once)", async () => {
    const d = await fresh("gen1-shelly1");
    await runProvisioning(jobFor(d), new DirectLink());
    const all = writes(d);
    expect(all.at(-1)).toBe("/settings/sta");
    expect(all).toEqual(expect.arrayContaining(["/settings", "/settings/cloud", "/settings/login"]));
    const settings = await gen1Settings(d.stationAddress, "porch-admin-pw");
    expect(settings.wifi_ap.enabled).toBe(false);
    expect(settings.wifi_sta.ssid).toBe("iot-net");
    expect(settings.name).toBe("Porch");
    expect(settings.login.enabled).toBe(true);
  });

  test("a BLE gateway keeps BLE RPC on; the file can keep the AP", async () => {
    const d = await fresh("gen2-plus1pm");
    await runProvisioning(jobFor(d, { keepBleRpc: true, keepAp: true }), new DirectLink());
    const config = await gen2Config(d.stationAddress, "porch-admin-pw");
    expect(config).toMatchObject({ wifi: { ap: { enable: true } }, ble: { rpc: { enable: true } } });
  });

  test("a MAC mismatch at the AP writes nothing and says what to check", async () => {
    const d = await fresh("gen2-pro4pm");
    const run = runProvisioning(jobFor(d, { mac: "AABBCCDDEEFF" }), new DirectLink());
    await expect(run).rejects.toThrow(
      /porch \(MAC AABBCCDDEEFF\): the device at its access point .* has MAC 34987A67D7D0: nothing written\. Check the mac/,
    );
    await expect(run).rejects.toMatchObject({ step: "identify", deviceLeft: "untouched" });
    expect(writes(d)).toEqual([]);
    expect(d.device.inApMode).toBe(true);
  });

  test("a wrong WiFi password: the device never appears; it is put back in AP mode, station off", async () => {
    const d = await fresh("gen1-shelly1");
    const job = jobFor(d, { wifi: { ssid: "iot-net", password: "wrong", passwordSecret: "iot-wifi" } });
    const error = await runProvisioning(job, new DirectLink()).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ProvisionError);
    expect(error).toMatchObject({ step: "verify", deviceLeft: "in AP mode" });
    expect((error as Error).message).toMatch(
      /did not appear at 127\.0\.0\.1:\d+ within 3 s \(the last try: .*\), and came back to its access point: "iot-net" refused it\. The WiFi password \(secret "iot-wifi"\) .* Rolled back: the device is back in AP mode with its station WiFi off/,
    );
    expect(d.device.inApMode).toBe(true);
    expect(d.device.address).toBe(d.apAddress);
    const settings = await gen1Settings(d.apAddress, "porch-admin-pw");
    expect([settings.wifi_ap.enabled, settings.wifi_sta.enabled]).toEqual([true, false]);
  });

  test("a wrong station address: the device joined, so the error blames the address, not the password", async () => {
    const d = await fresh("gen2-plus1pm");
    const nowhere = `127.0.0.1:${await freePort()}`;
    const job = jobFor(d, {
      stationAddress: nowhere,
      timeoutsMs: { verify: 2_000, recover: 2_000, findAp: 3_000 },
    });
    const steps: string[] = [];
    const error = await runProvisioning(job, new DirectLink(), {
      onProgress: (event) => steps.push(`${event.phase} ${event.step}`),
    }).catch((err: unknown) => err);
    expect(error).toMatchObject({ step: "verify", deviceLeft: "unknown" });
    const text = (error as Error).message;
    // The address tried, what answered there, and the conclusion the device's behaviour supports.
    expect(text).toContain(`did not appear at ${nowhere} within 2 s (the last try: `);
    expect(text).toMatch(
      /not back at its access point within 2 s either\. A device that "iot-net" refuses comes back/,
    );
    expect(text).toContain(
      `look for MAC ${d.device.identity.mac} in the DHCP server's leases and correct the file's address`,
    );
    expect(text).not.toMatch(/password/i);
    expect(steps).toContain("start verify");
    expect(steps).toContain("start recover");
    // It did join: it answers at its real station address.
    expect(d.device.inApMode).toBe(false);
    expect(d.device.address).toBe(`http://${d.stationAddress}`);
  });

  test("the right password after a failed run provisions the device that was put back", async () => {
    const d = await fresh("gen2-pro4pm");
    const wrong = jobFor(d, { wifi: { ssid: "iot-net", password: "wrong", passwordSecret: "iot-wifi" } });
    await expect(runProvisioning(wrong, new DirectLink())).rejects.toThrow(/back in AP mode/);
    // Auth went on in the failed run: the retry logs in with the site's password.
    await runProvisioning(jobFor(d, { loginPassword: "porch-admin-pw" }), new DirectLink());
    expect(d.device.inApMode).toBe(false);
  });

  test("a device already on the network is only hardened (a re-run after a failed harden)", async () => {
    const d = await fresh("gen2-pro4pm");
    await runProvisioning(jobFor(d, { keepAp: true }), new DirectLink());
    d.device.log.clear();
    const again = await runProvisioning(jobFor(d), new DirectLink());
    expect(again.alreadyOnNetwork).toBe(true);
    expect(again.steps.map((s) => s.step)).toEqual(["harden"]);
    expect(writes(d)).toEqual(["WiFi.SetConfig"]);
  });

  test("no access point: findAp times out and says how to put the device in AP mode", async () => {
    const d = await fresh("gen2-pro4pm");
    await d.device.close();
    const run = runProvisioning(jobFor(d, { timeoutsMs: { findAp: 500 } }), new DirectLink());
    await expect(run).rejects.toThrow(
      /no access point ending in 34987A67D7D0 found through direct within 0.5 s: is the device powered and in AP mode/,
    );
    await expect(run).rejects.toMatchObject({ step: "findAp", deviceLeft: "untouched" });
  });
});
