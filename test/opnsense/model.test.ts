// The local checks that run before any write to OPNsense, and the site plan.
import { describe, expect, test } from "vitest";
import { aliasNameProblem } from "../../providers/opnsense/alias/model";
import { canonicalMac } from "../../providers/opnsense/model";
import { planOpnsense } from "../../providers/opnsense/plan";
import { reservationFailures } from "../../providers/opnsense/reservation/model";

const site = {
  name: "home",
  subnet: "10.0.30.0/24",
  dhcpPool: { start: "10.0.30.100", end: "10.0.30.199" },
  dhcpBackend: "kea" as const,
};

describe("OPNsense planner and validators", () => {
  test("MACs become lower case with colons; anything else is refused", () => {
    expect(canonicalMac("AABBCCDDEE01")).toBe("aa:bb:cc:dd:ee:01");
    expect(canonicalMac("AA-BB-CC-DD-EE-01")).toBe("aa:bb:cc:dd:ee:01");
    expect(canonicalMac("aabb.ccdd.ee01")).toBe("aa:bb:cc:dd:ee:01");
    expect(canonicalMac("aa:bb:cc")).toBeUndefined();
    const failures = reservationFailures({
      backend: "kea",
      subnet: "10.0.30.0/24",
      mac: "AA:BB:CC:DD:EE:01",
      ip: "10.0.30.5",
    });
    expect(failures).toEqual([
      { property: "mac", reason: expect.stringMatching(/lower-case hex pairs separated by colons/) },
    ]);
  });

  test("an IP outside the subnet or inside the dynamic pool is refused, naming the field", () => {
    const base = {
      backend: "kea" as const,
      subnet: "10.0.30.0/24",
      mac: "aa:bb:cc:dd:ee:01",
      dhcpPool: site.dhcpPool,
    };
    expect(reservationFailures({ ...base, ip: "10.0.31.5" })).toEqual([
      { property: "ip", reason: "10.0.31.5 is outside the subnet 10.0.30.0/24" },
    ]);
    expect(reservationFailures({ ...base, ip: "10.0.30.150" })).toEqual([
      { property: "ip", reason: "10.0.30.150 is inside the dynamic DHCP pool 10.0.30.100-10.0.30.199" },
    ]);
    expect(reservationFailures({ ...base, ip: "10.0.30.99" })).toEqual([]);
  });

  test("alias names follow OPNsense's rules", () => {
    expect(aliasNameProblem("shelly_lights")).toBeUndefined();
    expect(aliasNameProblem("_x1")).toBeUndefined();
    for (const bad of ["__lan_network", "1abc", "a-b", "a".repeat(32), ""])
      expect(aliasNameProblem(bad)).toMatch(/must start with a letter/);
    for (const reserved of ["any", "state", "queue", "route"])
      expect(aliasNameProblem(reserved)).toMatch(/reserved pf keyword/);
    for (const service of ["http", "www", "time", "carp", "TCP", "vrrp"])
      expect(aliasNameProblem(service)).toMatch(/service or protocol name/);
    expect(aliasNameProblem("bogons")).toMatch(/built-in/);
    // The firewall compares case-sensitively: these are free names there.
    for (const free of ["All", "HTTP", "State", "shelly_www"]) expect(aliasNameProblem(free)).toBeUndefined();
  });

  test("the plan: one reservation per device with network.ip, one alias per name with the members' IPs", () => {
    const plan = planOpnsense(site, [
      {
        name: "garage",
        mac: "AABBCCDDEE01",
        network: { ip: "10.0.30.21", hostname: "garage", aliases: ["shelly_all", "shelly_lights"] },
      },
      { name: "porch", mac: "AABBCCDDEE02", network: { ip: "10.0.30.9", aliases: ["shelly_all"] } },
      { name: "loose", mac: "AABBCCDDEE03" },
    ]);
    expect(plan.errors).toEqual([]);
    expect(plan.reservations.map((r) => [r.device, r.mac, r.ip, r.hostname])).toEqual([
      ["garage", "aa:bb:cc:dd:ee:01", "10.0.30.21", "garage"],
      ["porch", "aa:bb:cc:dd:ee:02", "10.0.30.9", ""],
    ]);
    expect(plan.aliases.map((a) => [a.name, a.content, a.members])).toEqual([
      ["shelly_all", ["10.0.30.9", "10.0.30.21"], ["garage", "porch"]],
      ["shelly_lights", ["10.0.30.21"], ["garage"]],
    ]);
  });

  test("duplicates, missing site settings and bad alias names are errors naming the device and key", () => {
    const plan = planOpnsense(site, [
      { name: "a", mac: "AABBCCDDEE01", network: { ip: "10.0.30.21" } },
      { name: "b", mac: "aa:bb:cc:dd:ee:01", network: { ip: "10.0.30.21", aliases: ["any"] } },
      { name: "c", mac: "AABBCCDDEE03", network: { aliases: ["shelly_all"] } },
      { name: "d", mac: "AABBCCDDEE04", network: { ip: "10.0.30.150" } },
    ]);
    expect(plan.errors).toEqual([
      "b: mac: aa:bb:cc:dd:ee:01 is also reserved for a",
      "b: network.ip: 10.0.30.21 is also reserved for a",
      'b: network.aliases: alias "any" is a reserved pf keyword on OPNsense',
      'c: network.aliases: alias "shelly_all" holds IPs, so the device needs network.ip',
      "d: network.ip: 10.0.30.150 is inside the dynamic DHCP pool 10.0.30.100-10.0.30.199",
    ]);
    expect(
      planOpnsense({ name: "bare" }, [{ name: "a", mac: "AABBCCDDEE01", network: { ip: "10.0.30.2" } }])
        .errors,
    ).toEqual([
      "site bare: subnet is required to reserve addresses on OPNsense (site.toml: subnet)",
      'site bare: dhcp_backend ("kea" or "dnsmasq") is required to reserve addresses on OPNsense',
    ]);
  });
});
