// The fleet report in a real browser: Debian's headless Chromium (installed by
// scripts/install-chromium.sh; without it this test fails and says why) opens the demo site's
// report, written by the CLI from a state and a preview document, and a generated 500-device
// report, at 1280 px and at 390 px. Each page: no console error, no request outside file://, the
// expected counts in the DOM; the screenshots land in test-artifacts/report/ (CI keeps them).
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportFleetFindings, writeReportFleet } from "../../bench/report-fleet";
import { loadFleet } from "../../fleet";
import { buildReportModel, renderReport, writeReport } from "../../report";
import { Browser, ensureChromium } from "../support/browser";
import { REPO_ROOT, runCli } from "../support/cli";

const ARTIFACTS = path.join(REPO_ROOT, "test-artifacts", "report");
const WIDTHS = [
  { width: 1280, height: 900 },
  { width: 390, height: 844 },
] as const;

const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-report-browser-"));
let browser: Browser;

beforeAll(async () => {
  browser = await Browser.launch(ensureChromium());
});

afterAll(async () => {
  await browser?.close();
  fs.rmSync(scratch, { recursive: true, force: true });
});

interface Expected {
  devices: number;
  /** Devices per state, as the overview's totals show them. */
  totals: Record<string, number>;
  drifted: number;
  /** A device page to open: its file and name. */
  device: { file: string; name: string };
}

/** Opens each page at each width, checks it, and saves its screenshot as `<label>-<page>-<width>.png`. */
async function checkReport(dir: string, label: string, expected: Expected): Promise<void> {
  const url = (file: string) => pathToFileURL(path.join(dir, file)).href;
  for (const { width, height } of WIDTHS) {
    await browser.viewport(width, height);
    browser.events.errors.length = 0;
    browser.events.requests.length = 0;

    await browser.open(url("index.html"));
    expect(await browser.evaluate("document.querySelectorAll('table.devices tbody tr').length")).toBe(
      expected.devices,
    );
    expect(await browser.evaluate("document.querySelector('[data-count=devices]').textContent")).toBe(
      String(expected.devices),
    );
    const totals = await browser.evaluate<Record<string, number>>(
      "Object.fromEntries([...document.querySelectorAll('main > .card .states li')].map(li => [li.dataset.state, Number(li.querySelector('.count').textContent)]))",
    );
    expect(totals).toEqual(expected.totals);
    // The script shows the filter, and the filter hides the rows that do not match.
    expect(await browser.evaluate("document.getElementById('filter').hidden")).toBe(false);
    expect(await browser.evaluate("document.querySelector('#filter output').textContent")).toBe(
      `${expected.devices} of ${expected.devices} devices shown`,
    );
    await browser.screenshot(path.join(ARTIFACTS, `${label}-overview-${width}.png`));
    const shown = await browser.evaluate<number>(`(() => {
      const select = document.querySelector('#filter select');
      select.value = 'drift';
      select.dispatchEvent(new Event('change'));
      return document.querySelectorAll('table.devices tbody tr:not([hidden])').length;
    })()`);
    expect(shown).toBe(expected.totals.drift);
    // The page fits the phone's width: only the device table's own box may scroll sideways.
    expect(await browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth")).toBe(true);

    await browser.open(url("topology.html"));
    expect(await browser.evaluate("document.querySelectorAll('svg.topology g.node.device').length")).toBe(
      expected.devices,
    );
    await browser.screenshot(path.join(ARTIFACTS, `${label}-topology-${width}.png`));

    await browser.open(url(expected.device.file));
    expect(await browser.evaluate("document.querySelector('h1').textContent")).toBe(expected.device.name);
    expect(await browser.evaluate("document.querySelectorAll('tbody tr').length")).toBeGreaterThan(3);
    await browser.screenshot(path.join(ARTIFACTS, `${label}-device-${width}.png`));

    await browser.open(url("drift.html"));
    expect(await browser.evaluate("document.querySelectorAll('section.drifted').length")).toBe(
      expected.drifted,
    );
    await browser.screenshot(path.join(ARTIFACTS, `${label}-drift-${width}.png`));

    expect(browser.events.errors).toEqual([]);
    expect(browser.events.requests.filter((u) => !u.startsWith("file://"))).toEqual([]);
    // The stylesheet and the script were asked for, so the check above saw the page's requests.
    expect(browser.events.requests.filter((u) => /assets\/report\.(css|js)$/.test(u)).length).toBeGreaterThan(
      0,
    );
  }
}

describe("the fleet report in headless Chromium", () => {
  it("shows the demo site, written by `shelly-fleet report` from a state and a preview", async () => {
    const demo = loadFleet({ root: REPO_ROOT, site: "demo" });
    // The stack state: every device applied but bedroom-mini (pending); office-plug rolled back.
    const resources = demo.devices
      .filter((d) => d.name !== "bedroom-mini")
      .map((d) => ({
        urn: `urn:pulumi:demo::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::${d.name}`,
        type: "pulumi-nodejs:dynamic/shelly:Device",
        outputs: {
          mac: d.mac,
          model: d.model,
          firmware: "20241011-114455/1.4.4-g6d2a586",
          lastApply: {
            startedAt: "2025-06-30T10:00:00.000Z",
            verified: true,
            rolledBack: d.name === "office-plug",
          },
        },
      }));
    const state = path.join(scratch, "demo.state.json");
    fs.writeFileSync(state, JSON.stringify({ version: 3, deployment: { resources } }));
    // A real drift preview (test/review/fixtures), its device renamed into the demo site.
    const preview = path.join(scratch, "demo.json");
    fs.writeFileSync(
      preview,
      fs
        .readFileSync(path.join(REPO_ROOT, "test", "review", "fixtures", "drift.json"), "utf8")
        .replaceAll("urn:pulumi:lab::", "urn:pulumi:demo::")
        .replaceAll("::porch", "::hall-relay"),
    );
    const out = path.join(scratch, "demo-report");
    const result = await runCli([
      "report",
      "--root",
      REPO_ROOT,
      "--site",
      "demo",
      "--out",
      out,
      "--state",
      state,
      "--preview",
      preview,
    ]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    await checkReport(out, "demo", {
      devices: 8,
      totals: { failed: 1, unreachable: 0, drift: 1, pending: 1, sleeping: 0, "in-sync": 5, unchecked: 0 },
      drifted: 1,
      device: { file: "devices/demo-hall-relay.html", name: "hall-relay" },
    });
  });

  it("shows a generated fleet of 500 devices in five sites", async () => {
    const root = path.join(scratch, "fleet500");
    writeReportFleet(root, REPO_ROOT, 100);
    const fleet = loadFleet({ root });
    expect(fleet.errors).toEqual([]);
    const model = buildReportModel({
      fleet,
      ...reportFleetFindings(100),
      generatedAt: "2025-07-01T12:00:00.000Z",
    });
    const out = path.join(scratch, "fleet500-report");
    writeReport(renderReport(model), out);
    const drifted = model.sites.flatMap((s) => s.devices).filter((d) => d.drift.length > 0).length;
    expect(drifted).toBeGreaterThan(0);
    const device = model.sites[2]?.devices[3];
    await checkReport(out, "fleet500", {
      devices: 500,
      totals: model.totals,
      drifted,
      device: { file: `devices/${device?.id}.html`, name: device?.name as string },
    });
  });
});
