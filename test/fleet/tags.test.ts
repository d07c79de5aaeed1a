// Tags on devices and profiles, the site's [[by_tag]] rules (profiles and aliases by tag), and the
// --tag filter every command shares.
import { describe, expect, test } from "vitest";
import { loadFleet, matchesTags } from "../../fleet";
import { planOpnsense } from "../../providers/opnsense/plan";
import { writeFleet } from "./support";

const SITE = `subnet = "10.0.20.0/24"
dhcp_backend = "kea"

[[by_tag]]
tag = "lights"
profiles = ["dimmers"]
aliases = ["iot_lights"]

[[by_tag]]
tag = "outdoor"
aliases = ["iot_outdoor"]
`;

const device = (mac: string, ip: string, extra = "") =>
  `mac = "${mac}"\naddress = "${ip}"\n[network]\nip = "${ip}"\n${extra}`;

function tagFleet(files: Record<string, string> = {}) {
  return writeFleet({
    "devices/home/site.toml": SITE,
    "profiles/dimmers.toml": 'tags = ["dimmable"]\n[device]\neco_mode = true\n',
    "profiles/garden.toml": 'tags = ["outdoor"]\n',
    "devices/home/kitchen.toml": `tags = ["lights"]\n${device("AABBCCDDEE01", "10.0.20.11")}`,
    "devices/home/porch.toml": `tags = ["lights"]\nprofiles = ["garden"]\n${device("AABBCCDDEE02", "10.0.20.12")}`,
    "devices/home/pump.toml": device("AABBCCDDEE03", "10.0.20.13", 'aliases = ["pumps"]\n'),
    ...files,
  });
}

describe("tags", () => {
  test("a device carries its own tags and those of every profile merged into it", () => {
    const fleet = loadFleet({ root: tagFleet() });
    expect(fleet.errors).toEqual([]);
    const byName = Object.fromEntries(fleet.devices.map((d) => [d.name, d]));
    expect(byName.kitchen?.tags).toEqual(["dimmable", "lights"]);
    expect(byName.porch?.tags).toEqual(["dimmable", "lights", "outdoor"]);
    expect(byName.pump?.tags).toEqual([]);
  });

  test("[[by_tag]] profiles merge after the site's and before the device's own", () => {
    const fleet = loadFleet({ root: tagFleet() });
    const porch = fleet.devices.find((d) => d.name === "porch");
    expect(porch?.profiles).toEqual(["dimmers", "garden"]);
    expect(porch?.config.device).toEqual({ eco_mode: true });
    expect(fleet.devices.find((d) => d.name === "pump")?.config.device).toBeUndefined();
  });

  test("[[by_tag]] aliases: tagged devices join them, on OPNsense too", () => {
    const fleet = loadFleet({ root: tagFleet() });
    const byName = Object.fromEntries(fleet.devices.map((d) => [d.name, d]));
    expect(byName.kitchen?.network?.aliases).toEqual(["iot_lights"]);
    // "outdoor" comes from a profile the device names, so its rule matches.
    expect(byName.porch?.network?.aliases).toEqual(["iot_lights", "iot_outdoor"]);
    expect(byName.pump?.network?.aliases).toEqual(["pumps"]);
    const site = fleet.sites[0];
    if (!site) throw new Error("no site");
    const plan = planOpnsense(site, fleet.devices);
    expect(plan.errors).toEqual([]);
    expect(plan.aliases.map((a) => [a.name, a.members])).toEqual([
      ["iot_lights", ["kitchen", "porch"]],
      ["iot_outdoor", ["porch"]],
      ["pumps", ["pump"]],
    ]);
  });

  test("a tag that joins an alias needs network.ip; unknown profiles and bad tags are errors", () => {
    const root = tagFleet({
      "devices/home/lamp.toml": 'tags = ["lights"]\nmac = "AABBCCDDEE04"\naddress = "10.0.20.14"\n',
      "devices/home/odd.toml": 'tags = ["no spaces"]\nmac = "AABBCCDDEE05"\naddress = "10.0.20.15"\n',
      "devices/other/site.toml": '[[by_tag]]\ntag = "x"\nprofiles = ["missing"]\n',
    });
    const messages = loadFleet({ root }).errors.map((e) => `${e.file}: ${e.keyPath}: ${e.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringMatching(
          /^devices\/home\/lamp\.toml: tags: tag "lights" puts the device in alias "iot_lights" \(devices\/home\/site\.toml\), which holds IPs: give it network\.ip$/,
        ),
        expect.stringMatching(/^devices\/home\/odd\.toml: tags\[0\]: /),
        'devices/other/site.toml: by_tag[0].profiles[0]: unknown profile "missing" (no profiles/missing.toml)',
      ]),
    );
  });

  test("matchesTags: any of the wanted tags; none wanted matches all", () => {
    expect(matchesTags({ tags: ["a", "b"] }, [])).toBe(true);
    expect(matchesTags({ tags: ["a", "b"] }, ["c", "b"])).toBe(true);
    expect(matchesTags({ tags: ["a"] }, ["c"])).toBe(false);
    expect(matchesTags({ tags: [] }, ["a"])).toBe(false);
  });
});
