// `shelly-fleet report`: the static fleet report (overview, topology, drift, a page per device)
// from the files, saved stack states, preview documents and, with --live, a status read.
import * as path from "node:path";
import { type ParseArgsOptionsConfig, parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { buildReportModel, outputDirProblem, type ReportLive, renderReport, writeReport } from "../../report";
import { analyzePreview, readPreviewFile } from "../../review/preview-changes";
import { positiveInteger } from "../bounded";
import { type Command, print } from "../command";
import { type AppliedState, readStateFile, readStatus } from "../device-status";
import { loadValidFleet, resolveFleetOptions } from "../fleet-options";

export const DEFAULT_REPORT_DIR = "fleet-report";

const HELP = `Usage: shelly-fleet report [--site NAME | --all] [--out DIR] [--state FILE ...] [--preview FILE ...] [--live]

Write the fleet report: a static site (HTML, CSS, inline SVG, a little optional JavaScript; no
request leaves the directory, it works from file://) with
  index.html     per site: devices by state (in sync, drift, pending change, unreachable,
                 sleeping, failed last apply, not checked), firmware versions, models, the last
                 apply; every device, with search and filter
  topology.html  site → subnet → OPNsense aliases and reservations → devices (SVG)
  drift.html     every field that differs, by device: live value → the files' value
  devices/*.html a page per device: merged settings with their source file (as \`explain\`),
                 drift, firmware, last apply, DHCP reservation, alias membership

What it knows comes from what you give it: the files always; the last applies, models and
firmware from saved \`pulumi stack export\` documents (--state); drift and pending changes from
\`shelly-fleet preview --json\` documents (--preview, as the drift check writes them; a
document's stack is its site); reachability and firmware from the devices (--live, the read
\`shelly-fleet status\` makes; login passwords from SHELLY_FLEET_SECRET_<NAME>). A device nothing
was read for shows as "not checked".

Options:
  -s, --site NAME      only this site's devices
      --all            every site (the default)
      --root DIR       the fleet root; default: the nearest directory above with a Pulumi.yaml
  -o, --out DIR        where to write (default ${DEFAULT_REPORT_DIR}/); replaced as a whole, so it
                       must be new, empty or an earlier report
      --state FILE     a \`pulumi stack export\` document (repeatable: one per stack)
  -p, --preview FILE   a \`preview --json\` document (repeatable: one per stack)
      --live           read every device now (reachable, model, firmware, config revision)
      --concurrency N  with --live: devices read at once (default 32)
      --timeout MS     with --live: how long one device may take to answer (default 3000)
  -h, --help           show this help

Exit codes: 0 written, 1 the fleet files have errors (nothing written), 2 usage error.
`;

const OPTIONS = {
  site: { type: "string", short: "s" },
  all: { type: "boolean", default: false },
  root: { type: "string" },
  out: { type: "string", short: "o", default: DEFAULT_REPORT_DIR },
  state: { type: "string", multiple: true, default: [] },
  preview: { type: "string", short: "p", multiple: true, default: [] },
  live: { type: "boolean", default: false },
  concurrency: { type: "string" },
  timeout: { type: "string" },
  help: { type: "boolean", short: "h", default: false },
} as const satisfies ParseArgsOptionsConfig;

export const reportCommand: Command = {
  name: "report",
  summary: "Write the static HTML fleet report: status, drift, firmware, topology",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values.all && values.site !== undefined) throw new UsageError("--site and --all: choose one");
    const out = path.resolve(values.out);
    const outProblem = outputDirProblem(out);
    if (outProblem) throw new UsageError(outProblem);
    const options = resolveFleetOptions(values);
    const fleet = loadValidFleet(options, "no report written");

    let applied: Map<string, AppliedState> | undefined;
    for (const file of values.state) {
      applied = new Map([...(applied ?? []), ...readStateFile(file)]);
    }
    const previews = values.preview.map((file) =>
      analyzePreview(readPreviewFile(file), path.basename(file, ".json")),
    );
    let live: Map<string, ReportLive> | undefined;
    if (values.live) {
      const rows = await readStatus(fleet.devices, fleet.sites, applied ?? new Map(), {
        concurrency: positiveInteger(values.concurrency, "--concurrency", 32),
        timeoutMs: positiveInteger(values.timeout, "--timeout", 3000),
      });
      live = new Map(rows.map((row) => [`${row.site}/${row.device}`, row]));
    }
    const model = buildReportModel({
      fleet,
      ...(applied && { applied }),
      previews,
      ...(live && { live }),
      generatedAt: new Date().toISOString(),
    });
    const files = renderReport(model);
    writeReport(files, out);
    print(
      `Wrote the report of ${model.deviceCount} devices (${files.size} files) to ${path.relative(process.cwd(), out) || "."}/; open ${path.join(path.relative(process.cwd(), out), "index.html")}\n`,
    );
    return 0;
  },
};
