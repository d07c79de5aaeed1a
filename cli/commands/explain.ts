// `shelly-fleet explain <device>`: the merged desired configuration, each value with its origin.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { type DesiredDevice, type Fleet, loadFleet, type Origin } from "../../fleet";
import { CATALOG, SECTION_NAMES, type SectionSpec, sectionPath } from "../../providers/shelly/model/catalog";
import { type Command, print } from "../command";
import { formatError, resolveFleetOptions } from "../fleet-options";

const HELP = `Usage: shelly-fleet explain <device> [--root DIR] [--site NAME]

Print a device's merged desired configuration (site defaults, profiles, then its own file) as
TOML, each value followed by the file and line it came from. Secrets show as their reference.
Exit status: 0, or 1 when the device's files have errors, 2 on a usage error.

Options:
  -r, --root DIR    the fleet's root; default: the project around the current directory
  -s, --site NAME   the device's site, when the name is used at more than one
  -h, --help        show this help
`;

const BARE_KEY = /^[A-Za-z0-9_-]+$/;
const COMMENT_COLUMN = 44;

function tomlKey(key: string): string {
  return BARE_KEY.test(key) ? key : JSON.stringify(key);
}

function tomlValue(value: unknown): string {
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(tomlValue).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    const pairs = Object.entries(value).map(([k, v]) => `${tomlKey(k)} = ${tomlValue(v)}`);
    return `{ ${pairs.join(", ")} }`;
  }
  return String(value);
}

function withOrigin(line: string, origin: Origin | undefined): string {
  if (origin === undefined) return line;
  const where = origin.line === undefined ? origin.file : `${origin.file}:${origin.line}`;
  return `${line.padEnd(COMMENT_COLUMN - 1)} # ${where}`;
}

/** The device as TOML with `# file:line` after each value. */
export function explainDevice(device: DesiredDevice): string {
  const out: string[] = [
    `# ${device.name} (site ${device.site}): ${device.file}`,
    `# merged, in order: ${[...device.profiles.map((p) => `profiles/${p}.toml`), device.file].join(", ")}`,
    `mac = ${tomlValue(device.mac)}`,
    `address = ${tomlValue(device.address)}`,
  ];
  if (device.expect) out.push(`expect = ${tomlValue(device.expect)}`);
  if (device.network)
    out.push("", "[network]", ...Object.entries(device.network).map(([k, v]) => `${k} = ${tomlValue(v)}`));
  const config = device.config as Record<string, unknown>;
  const fields = (values: Record<string, unknown>, prefix: string, skip: string) => {
    for (const [key, value] of Object.entries(values)) {
      if (key !== skip)
        out.push(withOrigin(`${tomlKey(key)} = ${tomlValue(value)}`, device.provenance[`${prefix}.${key}`]));
    }
  };
  for (const name of SECTION_NAMES) {
    const spec: SectionSpec = CATALOG[name];
    const value = sectionPath(name).reduce<unknown>(
      (node, key) => (node as Record<string, unknown>)?.[key],
      config,
    );
    if (value === undefined) continue;
    if (spec.kind === "table") {
      out.push("", `[${name}]`);
      fields(value as Record<string, unknown>, name, "");
      continue;
    }
    const keyField = spec.kind === "channels" ? "id" : "name";
    for (const entry of value as Record<string, unknown>[]) {
      const key = String(entry[keyField]);
      out.push(
        "",
        `[[${name}]]`,
        withOrigin(`${keyField} = ${tomlValue(entry[keyField])}`, device.provenance[`${name}.${key}`]),
      );
      fields(entry, `${name}.${key}`, keyField);
    }
  }
  for (const [generation, components] of Object.entries(device.config.raw ?? {})) {
    for (const [component, params] of Object.entries(components as Record<string, Record<string, unknown>>)) {
      out.push("", `[raw.${generation}.${tomlKey(component)}]`);
      fields(params, `raw.${generation}.${component}`, "");
    }
  }
  return `${out.join("\n")}\n`;
}

/** Errors in the files the device is made of: its own, its site's and its profiles'. */
function errorsOf(fleet: Fleet, file: string, device?: DesiredDevice) {
  const site = fleet.sites.find((s) => s.name === device?.site)?.file;
  const files = new Set([file, site, ...(device?.profiles ?? []).map((p) => `profiles/${p}.toml`)]);
  return fleet.errors.filter((e) => files.has(e.file));
}

export const explainCommand: Command = {
  name: "explain",
  summary: "Show a device's merged configuration and where each value comes from",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: "string", short: "r" },
        site: { type: "string", short: "s" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    const [name, ...extra] = positionals;
    if (name === undefined)
      throw new UsageError("explain needs a device name: shelly-fleet explain <device>");
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const options = resolveFleetOptions(values);
    const fleet = loadFleet(options);
    const matches = fleet.devices.filter((d) => d.name === name);
    if (matches.length > 1) {
      throw new UsageError(
        `"${name}" is a device at sites ${matches.map((d) => d.site).join(", ")}: pass --site`,
      );
    }
    const device = matches[0];
    const file =
      device?.file ??
      fleet.sites
        .map((s) => `devices/${s.name}/${name}.toml`)
        .find((f) => fleet.errors.some((e) => e.file === f));
    if (file === undefined) throw new UsageError(`no device "${name}" (no devices/<site>/${name}.toml)`);
    if (device) print(explainDevice(device));
    const errors = errorsOf(fleet, file, device);
    for (const error of errors) process.stderr.write(`${formatError(error, options.root)}\n`);
    return errors.length === 0 && device ? 0 : 1;
  },
};
