// Where the fleet files are and how their errors print: shared by the commands that read them
// (validate, explain, adopt, diff), which must not import each other.
import * as fs from "node:fs";
import * as path from "node:path";
import { UsageError } from "../errors";
import { type Fleet, type FleetError, formatFleetError, listSites, loadFleet } from "../fleet";

/** The nearest directory, from `start` up, that holds a Pulumi.yaml; else `start` itself. */
export function defaultRoot(start = process.cwd()): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, "Pulumi.yaml"))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(start);
  }
}

/** Checks --root and --site before loading, so that a typo is a usage error, not "no devices". */
export function resolveFleetOptions(values: { root?: string; site?: string }): {
  root: string;
  site?: string;
} {
  const root = values.root === undefined ? defaultRoot() : path.resolve(values.root);
  if (!fs.existsSync(path.join(root, "devices"))) {
    throw new UsageError(`${root} has no devices/ directory: pass the fleet's root with --root`);
  }
  if (values.site !== undefined && !listSites(root).includes(values.site)) {
    throw new UsageError(`no site "${values.site}" (no directory devices/${values.site}/ under ${root})`);
  }
  return { root, site: values.site };
}

/** `file:line: key.path: message`, the file relative to the current directory. */
export function formatError(error: FleetError, root: string): string {
  return formatFleetError(error, path.relative(process.cwd(), path.join(root, error.file)) || error.file);
}

/** The fleet, after printing its errors and failing (exit 1) when it has any: `what` did not happen. */
export function loadValidFleet(options: { root: string; site?: string }, what: string): Fleet {
  const fleet = loadFleet(options);
  if (fleet.errors.length === 0) return fleet;
  for (const error of fleet.errors) process.stderr.write(`${formatError(error, options.root)}\n`);
  throw new UsageError(`the fleet files have errors (run \`shelly-fleet validate\`): ${what}`, 1);
}
