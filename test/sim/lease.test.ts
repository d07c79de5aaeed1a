// Simulated devices take their address from the simulated firewall's DHCP at each boot: a
// reservation the service has loaded moves the device there (same port); nothing else does.
import { afterEach, describe, expect, test } from "vitest";
import { type OpnsenseSim, type SimDevice, startDevice, startOpnsense } from "../../sim";
import { raw } from "../opnsense/support";
import { call, deviceDir, getJson } from "./helpers";

const hostOf = (device: SimDevice) => new URL(device.address).hostname;
const portOf = (device: SimDevice) => new URL(device.address).port;
const macOf = (device: SimDevice) => device.identity.mac.toLowerCase().match(/../g)?.join(":") as string;
const booted = (device: SimDevice) => new Promise((resolve) => device.once("booted", resolve));

describe("DHCP leases from the simulated firewall", () => {
  const started: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  async function firewall(): Promise<{ sim: OpnsenseSim; subnet: string }> {
    const sim = await startOpnsense({ keaSubnets: [{ subnet: "127.0.30.0/24" }] });
    started.push(sim);
    return { sim, subnet: [...sim.keaSubnets.keys()][0] as string };
  }

  async function device(capture: string, sim: OpnsenseSim): Promise<SimDevice> {
    const d = await startDevice(deviceDir(capture), {
      host: "127.0.30.150",
      rebootMs: 100,
      lease: (mac) => sim.leaseFor(mac),
    });
    started.push(d);
    return d;
  }

  test("a Gen1 device moves onto its Kea reservation at the reboot after reconfigure, not before", async () => {
    const { sim, subnet } = await firewall();
    const d = await device("gen1-shelly1", sim);
    const port = portOf(d);
    sim.keaReservations.set("0b0e4c4e-1f42-4a55-9d3c-6c3f3c2a1b01", {
      subnet,
      ip_address: "127.0.30.21",
      hw_address: macOf(d).toUpperCase(),
      hostname: "garage",
      description: "",
    });
    // Stored but not loaded: Kea hands out what it runs.
    expect(sim.leaseFor(d.identity.mac)).toBeUndefined();
    await getJson(`${d.address}/reboot`);
    await booted(d);
    expect(hostOf(d)).toBe("127.0.30.150");

    expect((await raw(sim, "POST", "kea/service/reconfigure")).status).toBe(200);
    expect(sim.leaseFor(d.identity.mac)).toBe("127.0.30.21");
    const moved = new Promise((resolve) => d.once("moved", resolve));
    await getJson(`${d.address}/reboot`);
    await booted(d);
    expect(await moved).toBe(`http://127.0.30.21:${port}`);
    expect(d.address).toBe(`http://127.0.30.21:${port}`);
    expect((await getJson(`${d.address}/shelly`)).body.mac).toBe(d.identity.mac);
    await expect(fetch(`http://127.0.30.150:${port}/shelly`)).rejects.toThrow();
  });

  test("a Gen2 device moves on Shelly.Reboot; a dnsmasq host works the same way", async () => {
    const { sim } = await firewall();
    const d = await device("gen2-plus1pm", sim);
    sim.dnsmasqHosts.set("7d1b0c52-3c58-4b0e-9a1c-2f9d6a1e5b02", {
      host: "porch",
      domain: "",
      ip: "127.0.30.22",
      hwaddr: macOf(d),
      client_id: "",
      descr: "",
      comments: "",
    });
    expect((await raw(sim, "POST", "dnsmasq/service/reconfigure")).status).toBe(200);
    await call(d.address, "Shelly.Reboot", { delay_ms: 500 });
    await booted(d);
    expect(hostOf(d)).toBe("127.0.30.22");
    expect((await call(d.address, "Shelly.GetDeviceInfo")).mac).toBe(d.identity.mac);
  });

  test("a stopped DHCP service hands out no reservation: the device keeps its address", async () => {
    const { sim, subnet } = await firewall();
    const d = await device("gen1-plugs", sim);
    sim.keaReservations.set("0b0e4c4e-1f42-4a55-9d3c-6c3f3c2a1b03", {
      subnet,
      ip_address: "127.0.30.23",
      hw_address: macOf(d),
      hostname: "",
      description: "",
    });
    await raw(sim, "POST", "kea/service/reconfigure");
    sim.serviceStatus.kea = "stopped";
    expect(sim.leaseFor(d.identity.mac)).toBeUndefined();
    await getJson(`${d.address}/reboot`);
    await booted(d);
    expect(hostOf(d)).toBe("127.0.30.150");
  });

  test("a lease outside 127/8 leaves the device where it is, and it says so", async () => {
    const d = await startDevice(deviceDir("gen1-shelly1"), {
      host: "127.0.30.150",
      rebootMs: 50,
      lease: () => "10.0.30.21",
    });
    started.push(d);
    const refused = new Promise((resolve) => d.once("leaseNotLoopback", resolve));
    await getJson(`${d.address}/reboot`);
    expect(await refused).toBe("10.0.30.21");
    await booted(d);
    expect(hostOf(d)).toBe("127.0.30.150");
  });
});
