// The static fleet report: `buildReportModel` (pure) then `renderReport` (pure: file → text) and
// `writeReport`, which replaces the output directory as a whole.
import * as fs from "node:fs";
import * as path from "node:path";
import { REPORT_CSS, REPORT_JS } from "./assets";
import type { ReportModel } from "./model";
import { devicePage, driftPage, overviewPage, topologyPage } from "./pages";

export { escapeHtml } from "./html";
export * from "./model";
export { layoutSite, topologySvg } from "./topology";

/** Marks a directory as one the report wrote, so that writing again may replace it. */
export const REPORT_MARKER = ".shelly-fleet-report";

/** Every file of the report, by its path relative to the output directory. */
export function renderReport(model: ReportModel): Map<string, string> {
  const files = new Map<string, string>([
    [REPORT_MARKER, "Written by `shelly-fleet report`; the next run replaces this directory.\n"],
    ["index.html", overviewPage(model)],
    ["topology.html", topologyPage(model)],
    ["drift.html", driftPage(model)],
    ["assets/report.css", REPORT_CSS],
    ["assets/report.js", REPORT_JS],
  ]);
  for (const site of model.sites) {
    for (const device of site.devices)
      files.set(`devices/${device.id}.html`, devicePage(device, model.generatedAt));
  }
  return files;
}

/**
 * Why `dir` may not be replaced, or undefined when it may: it does not exist, is empty, or holds a
 * report written before (a user's directory given by mistake is never emptied).
 */
export function outputDirProblem(dir: string): string | undefined {
  if (!fs.existsSync(dir)) return undefined;
  if (!fs.statSync(dir).isDirectory()) return `${dir} exists and is not a directory`;
  const entries = fs.readdirSync(dir);
  if (entries.length === 0 || entries.includes(REPORT_MARKER)) return undefined;
  return `${dir} is not empty and holds no earlier report (no ${REPORT_MARKER}): choose another --out`;
}

/** Writes the files beside `dir`, then swaps them in, so a reader never sees half a report. */
export function writeReport(files: Map<string, string>, dir: string): void {
  const target = path.resolve(dir);
  const staging = `${target}.${process.pid}.tmp`;
  fs.rmSync(staging, { recursive: true, force: true });
  for (const [relative, text] of files) {
    const file = path.join(staging, relative);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
  }
  fs.rmSync(target, { recursive: true, force: true });
  fs.renameSync(staging, target);
}
