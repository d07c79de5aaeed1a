// The fleet report's model and pages, without a browser: states and their counts, drift grouped by
// device, one topology node per device, every name escaped, and the overview's weight.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { reportFleetFindings, writeReportFleet } from "../../bench/report-fleet";
import { type DesiredDevice, loadFleet } from "../../fleet";
import {
  buildReportModel,
  layoutSite,
  outputDirProblem,
  type ReportApplied,
  type ReportLive,
  renderReport,
  settingsOf,
  topologySvg,
} from "../../report";
import type { StackPreview } from "../../review/preview-changes";
import { REPO_ROOT } from "../support/cli";

const GENERATED_AT = "2025-07-01T12:00:00.000Z";
const demo = loadFleet({ root: REPO_ROOT, site: "demo" });
const byName = (name: string) => demo.devices.find((d) => d.name === name) as DesiredDevice;

const made: string[] = [];
afterAll(() => {
  for (const dir of made) fs.rmSync(dir, { recursive: true, force: true });
});

/** Every kind of finding, one demo device each. */
function demoInput() {
  const applied = new Map<string, ReportApplied>();
  for (const device of demo.devices) {
    if (device.name === "office-plug") continue; // never applied: pending
    applied.set(device.mac, {
      lastApply: {
        at: "2025-06-30T10:00:00.000Z",
        result: device.name === "hall-relay" ? "rolled back" : "ok",
      },
      firmware: "20241011-114455/1.4.4-g6d2a586",
    });
  }
  const preview: StackPreview = {
    stack: "demo",
    configChanges: [],
    diagnostics: [],
    changes: [
      {
        kind: "device",
        op: "update",
        name: "kitchen-dimmer",
        urn: "urn:pulumi:demo::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::kitchen-dimmer",
        fields: [
          { key: "light[0].name", before: "Kitchen (by hand)", after: "Kitchen" },
          { key: "mqtt.enable", before: false, after: true },
        ],
        risks: [],
      },
      {
        kind: "reservation",
        op: "update",
        name: "porch-buttons-dhcp",
        urn: "urn:pulumi:demo::shelly-fleet::pulumi-nodejs:dynamic/opnsense:DhcpReservation::porch-buttons-dhcp",
        fields: [{ key: "ip", before: "10.0.20.99", after: "10.0.20.44" }],
        risks: [],
      },
      {
        kind: "device",
        op: "update",
        name: "garage-light",
        urn: "urn:pulumi:demo::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::garage-light",
        fields: [{ key: "relay[0].name", before: "Garage", after: "Garage light", origin: "change" }],
        risks: [],
      },
      {
        kind: "alias",
        op: "create",
        name: "alias-cellar",
        urn: "urn:pulumi:demo::shelly-fleet::pulumi-nodejs:dynamic/opnsense:FirewallAlias::alias-cellar",
        fields: [],
        risks: [],
      },
    ],
  };
  const live = new Map<string, ReportLive>();
  for (const device of demo.devices) {
    const down = device.name === "bedroom-mini" || device.name === "utility-pro4";
    live.set(
      `demo/${device.name}`,
      down
        ? { reachable: false, problem: "timed out after 3000 ms" }
        : { reachable: true, firmware: "x/1.5.0" },
    );
  }
  // utility-pro4 stands for a battery device here: asleep, not unreachable.
  const devices = demo.devices.map((d) => (d.name === "utility-pro4" ? { ...d, sleeping: true } : d));
  return {
    fleet: { sites: demo.sites, devices },
    applied,
    previews: [preview],
    live,
    generatedAt: GENERATED_AT,
  };
}

describe("the report's model", () => {
  it("gives each device its worst state and counts them per site and in all", () => {
    const model = buildReportModel(demoInput());
    const state = (name: string) => model.sites[0]?.devices.find((d) => d.name === name)?.state;
    expect(state("hall-relay")).toBe("failed");
    expect(state("bedroom-mini")).toBe("unreachable");
    expect(state("utility-pro4")).toBe("sleeping");
    expect(state("kitchen-dimmer")).toBe("drift");
    expect(state("porch-buttons")).toBe("drift");
    expect(state("office-plug")).toBe("pending");
    expect(state("garage-light")).toBe("pending");
    expect(state("living-room-shutter")).toBe("in-sync");
    const counts = {
      failed: 1,
      unreachable: 1,
      drift: 2,
      pending: 2,
      sleeping: 1,
      "in-sync": 1,
      unchecked: 0,
    };
    expect(model.sites[0]?.counts).toEqual(counts);
    expect(model.totals).toEqual(counts);
    expect(model.deviceCount).toBe(8);
  });

  it("says a device nothing was read for is not checked, never in sync", () => {
    const model = buildReportModel({ fleet: demo, generatedAt: GENERATED_AT });
    expect(model.totals.unchecked).toBe(8);
    expect(model.sources).toEqual({ state: false, preview: false, live: false });
  });

  it("groups the drifted fields by device, reservations under their device, the rest by site", () => {
    const model = buildReportModel(demoInput());
    const site = model.sites[0];
    const drift = (name: string) => site?.devices.find((d) => d.name === name)?.drift.map((f) => f.key);
    expect(drift("kitchen-dimmer")).toEqual(["light[0].name", "mqtt.enable"]);
    expect(drift("porch-buttons")).toEqual(["reservation.ip"]);
    expect(drift("hall-relay")).toEqual([]);
    expect(site?.otherChanges).toEqual([{ name: "alias-cellar", op: "create", fields: [] }]);
    const html = renderReport(model).get("drift.html") as string;
    expect([...html.matchAll(/<section class="drifted" data-device="([^"]+)"/g)].map((m) => m[1])).toEqual([
      "demo/garage-light",
      "demo/kitchen-dimmer",
      "demo/porch-buttons",
    ]);
  });

  it("keeps each merged setting's source file and line, as explain does", () => {
    const settings = settingsOf(byName("hall-relay"));
    const find = (key: string) => settings.find((s) => s.key === key);
    expect(find("switch.0.name")).toMatchObject({
      value: '"Hall light"',
      origin: { file: "devices/demo/hall-relay.toml" },
    });
    expect(find("mqtt.server")?.origin?.file).toBe("profiles/mqtt.toml");
    expect(find("auth.password")?.value).toBe('secret "device-admin"');
  });

  it("shows the reservation and the aliases the OPNsense plan gives each device", () => {
    const device = buildReportModel(demoInput()).sites[0]?.devices.find((d) => d.name === "porch-buttons");
    expect(device?.reservation).toEqual({ ip: "10.0.20.44", hostname: "porch-buttons", backend: "kea" });
    expect(device?.aliases).toEqual(["outdoor", "shelly"]);
  });
});

describe("the topology", () => {
  it("has one node per device, linked to its page, and one per alias group", () => {
    const model = buildReportModel(demoInput());
    const site = model.sites[0];
    if (!site) throw new Error("no site");
    const layout = layoutSite(site);
    const devices = layout.nodes.filter((n) => n.kind === "device");
    expect(devices.map((n) => n.label).sort()).toEqual(demo.devices.map((d) => d.name).sort());
    expect(layout.nodes.filter((n) => n.kind === "group").map((n) => n.label)).toEqual([
      "alias covers",
      "alias outdoor",
      "alias shelly",
    ]);
    // Every edge joins two nodes of the layout, and no two nodes overlap.
    const ids = new Set(layout.nodes.map((n) => n.id));
    for (const edge of layout.edges) expect(ids.has(edge.from) && ids.has(edge.to)).toBe(true);
    const ys = devices.map((n) => n.y).sort((a, b) => a - b);
    for (let i = 1; i < ys.length; i++)
      expect((ys[i] as number) - (ys[i - 1] as number)).toBeGreaterThanOrEqual(32);
    const svg = topologySvg(site, layout, "devices/");
    expect(svg.match(/class="node device /g)).toHaveLength(8);
    expect(svg).toContain('href="devices/demo-hall-relay.html"');
  });
});

describe("the pages", () => {
  it("escape every name and value from the files", () => {
    const evil = '<b>&"x"</b>';
    const input = demoInput();
    const devices = input.fleet.devices.map((d) =>
      d.name === "hall-relay"
        ? {
            ...d,
            name: evil,
            tags: ["<script>alert(1)</script>"],
            config: { ...d.config, device: { name: "</code><img src=x onerror=alert(1)>" } },
          }
        : d,
    );
    const files = renderReport(buildReportModel({ ...input, fleet: { ...input.fleet, devices } }));
    const page = [...files.keys()].find((f) => f.startsWith("devices/demo-_b__") && f.endsWith(".html"));
    expect(page).toBeDefined();
    for (const [file, text] of files) {
      if (!file.endsWith(".html")) continue;
      expect(text, file).not.toContain(evil);
      expect(text, file).not.toContain("<script>alert");
      expect(text, file).not.toContain("<img src=x");
    }
    expect(files.get("index.html")).toContain("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;");
    expect(files.get("topology.html")).toContain("&lt;b&gt;&amp;&quot;x&quot;&lt;/b&gt;");
    expect(files.get(page as string)).toContain("&lt;/code&gt;&lt;img src=x onerror=alert(1)&gt;");
  });

  it("make no request outside the report: every src and href is relative or a fragment", () => {
    for (const [file, text] of renderReport(buildReportModel(demoInput()))) {
      if (!file.endsWith(".html")) continue;
      for (const [, url] of text.matchAll(/(?:src|href)="([^"]*)"/g)) {
        expect(url, file).not.toMatch(/^[a-z]+:|^\/\//i);
      }
    }
  });

  it("weigh under 2 MB for the overview of a 500-device fleet in five sites", () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-report-"));
    made.push(root);
    writeReportFleet(root, REPO_ROOT, 100);
    const fleet = loadFleet({ root });
    expect(fleet.errors).toEqual([]);
    expect(fleet.devices).toHaveLength(500);
    const model = buildReportModel({ fleet, ...reportFleetFindings(100), generatedAt: GENERATED_AT });
    expect(Object.values(model.totals).reduce((a, b) => a + b, 0)).toBe(500);
    for (const state of ["failed", "unreachable", "drift", "pending", "in-sync"] as const) {
      expect(model.totals[state], state).toBeGreaterThan(0);
    }
    const files = renderReport(model);
    const overview = Buffer.byteLength(files.get("index.html") as string);
    expect(overview).toBeLessThan(2 * 1024 * 1024);
    expect([...files.keys()].filter((f) => f.startsWith("devices/"))).toHaveLength(500);
    const topology = files.get("topology.html") as string;
    expect(topology.match(/class="node device /g)).toHaveLength(500);
  });
});

describe("the output directory", () => {
  it("may be new, empty or an earlier report, never a directory of other files", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-report-out-"));
    made.push(dir);
    expect(outputDirProblem(path.join(dir, "new"))).toBeUndefined();
    expect(outputDirProblem(dir)).toBeUndefined();
    fs.writeFileSync(path.join(dir, "notes.txt"), "mine");
    expect(outputDirProblem(dir)).toMatch(/is not empty and holds no earlier report/);
    fs.writeFileSync(path.join(dir, ".shelly-fleet-report"), "");
    expect(outputDirProblem(dir)).toBeUndefined();
  });
});
