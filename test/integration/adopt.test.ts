// adopt against a simulated device, as a user runs it: a device at an address another file
// manages under another MAC is offered as that device's replacement; --replace puts the new MAC
// in the old file and keeps the rest; no file of another device is ever overwritten.
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { runCli } from "../support/cli";

describe("adopt names the file", () => {
  test("from the model and the MAC's end when the device has no name", async () => {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { mac: "020000BE54DC" });
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "adopt-name-"));
    try {
      // As a user clears it in the app: Sys.SetConfig with a null name.
      const cleared = await fetch(`${device.address}/rpc`, {
        method: "POST",
        body: JSON.stringify({
          id: 1,
          method: "Sys.SetConfig",
          params: { config: { device: { name: null } } },
        }),
      });
      expect(cleared.status).toBe(200);
      const result = await runCli(["adopt", device.address, "--site", "home", "--root", root]);
      expect(result.code, result.stderr).toBe(0);
      expect(await fs.readdir(path.join(root, "devices", "home"))).toEqual(["plus1pm-be54dc.toml"]);
    } finally {
      await device.close();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe("adopt a device with auth on", () => {
  test("without a password: one line naming the variable and the secret the file will use", async () => {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { password: "adopt-pw-1" });
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "adopt-auth-"));
    try {
      await fs.mkdir(path.join(root, "devices", "home"), { recursive: true });
      await fs.writeFile(
        path.join(root, "devices", "home", "site.toml"),
        '[credentials]\ndevice_password = { secret = "device-admin" }\n',
      );
      // An empty variable counts as unset.
      const result = await runCli(["adopt", device.address, "--site", "home", "--root", root], {
        SHELLY_FLEET_DEVICE_PASSWORD: "",
      });
      expect(result.code).toBe(1);
      expect(result.stderr).toBe(
        `shelly-fleet: ${device.address} has auth on: set SHELLY_FLEET_DEVICE_PASSWORD to its admin password and run adopt again; the file will log in with the secret "device-admin" (shelly-fleet up --secret secret.device-admin)\n`,
      );
      expect(await fs.readdir(path.join(root, "devices", "home"))).toEqual(["site.toml"]);
    } finally {
      await device.close();
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});

describe("adopt where a file already names the address or the device", () => {
  let root: string;
  let device: SimDevice;
  const porchFile = () => path.join(root, "devices", "home", "porch.toml");
  const adopt = (...args: string[]) =>
    runCli(["adopt", device.address, "--site", "home", "--root", root, ...args]);

  beforeAll(async () => {
    device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"), { mac: "020000000C02" });
    root = await fs.mkdtemp(path.join(os.tmpdir(), "adopt-"));
    await fs.mkdir(path.join(root, "devices", "home"), { recursive: true });
    // The old porch device, now dead, was managed at the address the new one answers at.
    const where = device.address.replace(/^http:\/\//, "");
    await fs.writeFile(
      porchFile(),
      `# the porch light\nmac = "020000000C01"\naddress = "${where}"\n\n[device]\nname = "Porch"\n`,
    );
  });

  afterAll(async () => {
    await device?.close();
    await fs.rm(root, { recursive: true, force: true });
  });

  test("a new MAC at a managed address: adopt offers the replacement and writes nothing", async () => {
    const before = await fs.readdir(path.join(root, "devices", "home"));
    const result = await adopt();
    expect(result.code).toBe(1);
    expect(result.stderr.trim().split("\n")).toHaveLength(1);
    expect(result.stderr).toMatch(
      /porch\.toml manages 127\.0\.0\.1:\d+ as MAC 020000000C01; this device is 020000000C02\. If it replaced porch, run `shelly-fleet adopt http:\/\/127\.0\.0\.1:\d+ --site home --replace porch`/,
    );
    expect(await fs.readdir(path.join(root, "devices", "home"))).toEqual(before);
  });

  test("--force never writes over another device's file", async () => {
    const result = await adopt("--name", "porch", "--force");
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/porch\.toml is the file of another device \(MAC 020000000C01\)/);
    expect(await fs.readFile(porchFile(), "utf8")).toMatch(/mac = "020000000C01"/);
  });

  test("--replace porch puts the new MAC in porch's file and keeps everything else", async () => {
    const before = await fs.readFile(porchFile(), "utf8");
    const result = await adopt("--replace", "porch");
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/porch\.toml: mac 020000000C01 → 020000000C02; the next `up` configures/);
    expect(await fs.readFile(porchFile(), "utf8")).toBe(before.replace("020000000C01", "020000000C02"));
    // Adopting it again now finds it managed.
    const again = await adopt("--name", "porch-2");
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/this device \(MAC 020000000C02\) is already managed by .*porch\.toml/);
  });
});

describe("adopt writes [network]", () => {
  async function adoptInto(site: Record<string, string>, prepare?: (device: SimDevice) => Promise<void>) {
    const device = await startDevice(path.join(CAPTURES_DIR, "gen2-plus1pm"));
    const root = await fs.mkdtemp(path.join(os.tmpdir(), "adopt-network-"));
    try {
      for (const [file, text] of Object.entries(site)) {
        await fs.mkdir(path.dirname(path.join(root, file)), { recursive: true });
        await fs.writeFile(path.join(root, file), text);
      }
      await prepare?.(device);
      const result = await runCli([
        "adopt",
        device.address,
        "--site",
        "home",
        "--name",
        "lamp",
        "--root",
        root,
      ]);
      expect(result.code, result.stderr).toBe(0);
      const text = await fs.readFile(path.join(root, "devices", "home", "lamp.toml"), "utf8");
      const validate = await runCli(["validate", "--root", root, "--site", "home", "--no-policies"]);
      return { host: new URL(device.address).hostname, text, stderr: result.stderr, validate };
    } finally {
      await device.close();
      await fs.rm(root, { recursive: true, force: true });
    }
  }

  test("with the device's static address", async () => {
    const { text, validate } = await adoptInto(
      { "devices/home/site.toml": 'subnet = "10.0.20.0/24"\n' },
      async (device) => {
        // As set in the device's web page: a static station address.
        const set = await fetch(`${device.address}/rpc`, {
          method: "POST",
          body: JSON.stringify({
            id: 1,
            method: "WiFi.SetConfig",
            params: {
              config: {
                sta: { ipv4mode: "static", ip: "10.0.20.50", netmask: "255.255.255.0", gw: "10.0.20.1" },
              },
            },
          }),
        });
        expect(set.status).toBe(200);
      },
    );
    expect(text).toMatch(/^\[network\]\nip = "10\.0\.20\.50"$/m);
    expect(validate.code, validate.stdout + validate.stderr).toBe(0);
  });

  test("with the address it has now when the site's firewall keeps reservations", async () => {
    const { host, text } = await adoptInto({
      "stacks/Pulumi.home.yaml": "config:\n  shelly-fleet:opnsense.url: https://fw.lan.example\n",
    });
    expect(text).toMatch(new RegExp(`^\\[network\\]\\nip = "${host.replace(/\./g, "\\.")}"$`, "m"));
  });

  test("never a lease from the dynamic pool: left out, with why", async () => {
    const { host, text, stderr } = await adoptInto({
      "devices/home/site.toml":
        'subnet = "127.0.0.0/8"\ndhcp_pool = { start = "127.0.0.1", end = "127.0.0.254" }\n',
      "stacks/Pulumi.home.yaml": "config:\n  shelly-fleet:opnsense.url: https://fw.lan.example\n",
    });
    expect(host).toMatch(/^127\.0\.0\.\d+$/);
    expect(text).not.toContain("[network]");
    expect(text).toMatch(/^# Not adopted: network\.ip: 127\.0\.0\.\d+ is a lease from the dynamic pool/m);
    expect(stderr).toMatch(/warning: .*network\.ip: .* pick a free address outside it/);
  });

  test("nothing when the device is on DHCP and no firewall keeps reservations", async () => {
    const { text } = await adoptInto({ "devices/home/site.toml": 'subnet = "127.0.0.0/8"\n' });
    expect(text).not.toContain("[network]");
  });
});
