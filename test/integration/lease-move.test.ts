// The LeaseMove lifecycle against simulated devices that take their DHCP lease from a simulated
// firewall, over real sockets: a device on a dynamic address renews and answers at its reservation.
import { afterEach, describe, expect, test } from "vitest";
import * as lease from "../../providers/shelly/lease/lifecycle";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import { raw } from "../opnsense/support";
import { deviceDir } from "../sim/helpers";

const hostPort = (device: SimDevice) => new URL(device.address).host;
const portOf = (device: SimDevice) => new URL(device.address).port;
const macOf = (device: SimDevice) => device.identity.mac.toLowerCase().match(/../g)?.join(":") as string;

describe("LeaseMove: a device moves onto its DHCP reservation", () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  async function setup(capture: string, options: { password?: string; apply?: boolean } = {}) {
    const sim: OpnsenseSim = await startOpnsense({ keaSubnets: [{ subnet: "127.0.31.0/24" }] });
    started.push(sim);
    const device = await startDevice(deviceDir(capture), {
      host: "127.0.31.150",
      rebootMs: 200,
      lease: (mac) => sim.leaseFor(mac),
      ...(options.password && { password: options.password }),
    });
    started.push(device);
    sim.keaReservations.set("3f1c2b9e-8a61-4d7c-9e0a-5b4d3c2a1f10", {
      subnet: [...sim.keaSubnets.keys()][0] as string,
      ip_address: "127.0.31.21",
      hw_address: macOf(device),
      hostname: "porch",
      description: "",
    });
    if (options.apply !== false) await raw(sim, "POST", "kea/service/reconfigure");
    const config: Record<string, string> = { "shelly-fleet:leaseMoveTimeoutMs": "5000" };
    if (options.password) config["shelly-fleet:secret.device-admin"] = options.password;
    lease.configure((key) => config[key]);
    const inputs: lease.LeaseMoveInputs = {
      name: "porch",
      mac: device.identity.mac,
      from: hostPort(device),
      to: `127.0.31.21:${portOf(device)}`,
      ...(options.password && { loginSecret: "device-admin" }),
      providerVersion: 1,
    };
    return { sim, device, inputs };
  }

  test("a Gen2 device with auth reboots and answers at its reservation; credentials only after the MAC check", async () => {
    const { device, inputs } = await setup("gen2-plus1pm", { password: "porch-secret" });
    const outputs = await lease.create(inputs);
    expect(outputs).toEqual({ ...inputs, renewedBy: "reboot" });
    expect(hostPort(device)).toBe(inputs.to);
    const entries = device.log.entries();
    const firstWithCredentials = entries.findIndex((e) => e.credentials);
    expect(entries.slice(0, firstWithCredentials).some((e) => e.path === "/shelly")).toBe(true);
    // The digest challenge (401), then the reboot itself.
    expect(entries.filter((e) => e.kind === "write").map((e) => [e.rpc, e.status])).toEqual([
      ["Shelly.Reboot", 401],
      ["Shelly.Reboot", 200],
    ]);
  });

  test("a Gen1 device reboots with GET /reboot and answers at its reservation", async () => {
    const { device, inputs } = await setup("gen1-shelly1");
    await expect(lease.create(inputs)).resolves.toMatchObject({ renewedBy: "reboot" });
    expect(hostPort(device)).toBe(inputs.to);
    expect(
      device.log
        .entries()
        .filter((e) => e.kind === "write")
        .map((e) => e.path),
    ).toEqual(["/reboot"]);
  });

  test("a device already at its reservation is left alone", async () => {
    const { device, inputs } = await setup("gen1-shelly1");
    await lease.create(inputs);
    device.log.clear();
    await expect(lease.update({ ...inputs, renewedBy: "reboot" }, inputs)).resolves.toMatchObject({
      renewedBy: "none",
    });
    expect(device.log.count({ kind: "write" })).toBe(0);
  });

  test("a reservation the firewall has not applied: the device does not come back there, and the error says where it is", async () => {
    const { device, inputs } = await setup("gen2-plus1pm", { apply: false });
    const started = Date.now();
    await expect(lease.create(inputs)).rejects.toThrow(
      `porch did not come back at ${inputs.to} within 5 s; it still answers at ${inputs.from}: is the reservation applied on the firewall?`,
    );
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(hostPort(device)).toBe(inputs.from);
  });

  test("another device at the old address gets nothing; a device found nowhere is one line", async () => {
    const { device, inputs } = await setup("gen2-plus1pm");
    device.faults.set({ mac: "02AA00000001" });
    await expect(lease.create(inputs)).rejects.toThrow(
      `porch: ${inputs.from} is answered by another device (02AA00000001, the file says ${inputs.mac}); nothing sent`,
    );
    expect(device.log.count({ kind: "write" })).toBe(0);
    await device.close();
    await expect(lease.create(inputs)).rejects.toThrow(
      new RegExp(`^porch: not found at ${inputs.from} \\(.*\\) nor at its reserved address ${inputs.to}$`),
    );
  });

  test("a changed reservation: the device is found where the last move put it and moves again", async () => {
    const { sim, device, inputs } = await setup("gen2-plus1pm");
    const first = await lease.create(inputs);
    const reservation = [...sim.keaReservations.values()][0];
    if (reservation) reservation.ip_address = "127.0.31.22";
    await raw(sim, "POST", "kea/service/reconfigure");
    const news = { ...inputs, to: `127.0.31.22:${portOf(device)}` };
    await expect(lease.update(first, news)).resolves.toMatchObject({ renewedBy: "reboot" });
    expect(hostPort(device)).toBe(news.to);
  });

  test("diff: only another reservation or another device moves again", () => {
    const olds: lease.LeaseMoveOutputs = {
      name: "porch",
      mac: "AABBCCDDEEFF",
      from: "10.0.30.120",
      to: "10.0.30.16",
      providerVersion: 1,
      renewedBy: "reboot",
    };
    expect(lease.diff(olds, { ...olds, from: "10.0.30.131" }).changes).toBe(false);
    expect(lease.diff(olds, { ...olds, to: "10.0.30.17" }).changes).toBe(true);
    expect(lease.diff(olds, { ...olds, mac: "AABBCCDDEE00" }).changes).toBe(true);
    expect(lease.check({ ...olds, mac: "aa:bb" })).toEqual([
      { property: "mac", reason: 'expected 12 upper-case hex digits, got "aa:bb"' },
    ]);
  });
});
