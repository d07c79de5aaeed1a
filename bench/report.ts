// Benchmark: `shelly-fleet report` for a generated 500-device fleet in five sites (issue #23: under
// 5 s), in process (load, model, pages, write) and as a whole CLI process; median of 3 each.
// Prints figures; it asserts nothing (the overview's weight is asserted by test/report/model.test.ts).
// Run: npm run bench:report
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { performance } from "node:perf_hooks";
import { loadFleet } from "../fleet";
import { buildReportModel, renderReport, writeReport } from "../report";
import { reportFleetFindings, writeReportFleet } from "./report-fleet";

const PER_SITE = 100;
const PACKAGE_ROOT = path.resolve(__dirname, "..", "..");

function medianOf3(run: () => unknown): number {
  const runs = [0, 1, 2]
    .map(() => {
      const start = performance.now();
      run();
      return performance.now() - start;
    })
    .sort((a, b) => a - b);
  return runs[1] ?? 0;
}

const root = fs.mkdtempSync(path.join(os.tmpdir(), "shelly-fleet-bench-report-"));
try {
  writeReportFleet(root, PACKAGE_ROOT, PER_SITE);
  const findings = reportFleetFindings(PER_SITE);
  let overviewBytes = 0;
  let fileCount = 0;
  const inProcess = medianOf3(() => {
    const fleet = loadFleet({ root });
    if (fleet.errors.length > 0)
      throw new Error(`the generated fleet should be valid: ${fleet.errors[0]?.message}`);
    const files = renderReport(
      buildReportModel({ fleet, ...findings, generatedAt: new Date().toISOString() }),
    );
    writeReport(files, path.join(root, "out-in-process"));
    overviewBytes = Buffer.byteLength(files.get("index.html") ?? "");
    fileCount = files.size;
  });
  const cli = medianOf3(() =>
    execFileSync(process.execPath, [
      path.join(PACKAGE_ROOT, "bin", "shelly-fleet"),
      "report",
      "--root",
      root,
      "--out",
      path.join(root, "out-cli"),
    ]),
  );
  const ms = (n: number) => `${n.toFixed(0)} ms`;
  process.stdout.write(
    `report, ${PER_SITE * 5} devices in 5 sites (${fileCount} files; overview ${(overviewBytes / 1024).toFixed(0)} KiB), median of 3:\n` +
      `  load, model, pages, write (in process, with state, preview and live findings): ${ms(inProcess)}\n` +
      `  shelly-fleet report, whole process (files only):                              ${ms(cli)}\n`,
  );
} finally {
  fs.rmSync(root, { recursive: true, force: true });
}
