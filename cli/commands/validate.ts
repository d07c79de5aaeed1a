// `shelly-fleet validate`: the fleet files checked offline, for pre-commit hooks and CI.
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { loadFleet, secretEnvName } from "../../fleet";
import { checkFleetPolicies } from "../../policies/fleet";
import { formatViolation } from "../../policies/rules";
import { type Command, print } from "../command";
import { formatError, resolveFleetOptions } from "../fleet-options";

const HELP = `Usage: shelly-fleet validate [--root DIR] [--site NAME] [--json] [--no-policies]

Check the device files, profiles and site files: TOML syntax, the schema, merges, substitutions,
duplicates, addresses, and keys against the model the file names. No network. Prints every error
as \`file:line: key.path: message\`, and every warning (a value the catalog does not know, an
unknown model) as \`warning: file:line: key.path: message\`.
Then the safety policies (README, "Safety policies"), the same rules \`preview\` and \`up\` enforce:
each violation as \`file:line: key.path: [level rule-id] device NAME: message (fix: …)\`. A WiFi
key's length is checked when its value is in the environment (SHELLY_FLEET_SECRET_<NAME>).
Exit status: 0 valid (with or without warnings and advisory violations), 1 invalid or a
mandatory violation, 2 usage error. \`--no-policies\` checks the files alone (a file just adopted
from a device with auth off is valid, and violates \`device-auth\`).

Options:
  -r, --root DIR    the fleet's root (devices/, profiles/, stacks/); default: the project
                    around the current directory
  -s, --site NAME   check this site's devices only (profiles are always checked)
      --json        print the result as JSON
      --no-policies skip the safety policies (says so on standard error)
  -h, --help        show this help
`;

export const validateCommand: Command = {
  name: "validate",
  summary: "Check the fleet files offline (exit 1 on any error)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        root: { type: "string", short: "r" },
        site: { type: "string", short: "s" },
        json: { type: "boolean", default: false },
        "no-policies": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const options = resolveFleetOptions(values);
    const fleet = loadFleet(options);
    // A duplicate the loader already refused is not reported twice.
    const refused = new Set(fleet.errors.map((e) => `${e.file}\u0000${e.keyPath}`));
    if (values["no-policies"])
      process.stderr.write("shelly-fleet: safety policies not checked (--no-policies)\n");
    const violations = values["no-policies"]
      ? []
      : checkFleetPolicies(fleet, {
          secrets: (name) => process.env[secretEnvName(name)],
        }).filter((v) => !refused.has(`${v.file}\u0000${v.key}`));
    const mandatory = violations.filter((v) => v.level === "mandatory").length;
    const valid = fleet.errors.length === 0 && mandatory === 0;
    if (values.json) {
      const devices = fleet.devices.map(({ name, site, file }) => ({ name, site, file }));
      const sites = fleet.sites.map(({ name, file, stackFile }) => ({ name, file, stackFile }));
      print(
        `${JSON.stringify({ valid, root: options.root, sites, devices, errors: fleet.errors, warnings: fleet.warnings, violations }, null, 2)}\n`,
      );
    } else {
      for (const error of fleet.errors) print(`${formatError(error, options.root)}\n`);
      for (const warning of fleet.warnings) print(`warning: ${formatError(warning, options.root)}\n`);
      for (const violation of violations) print(`${formatViolation(violation)}\n`);
      const sites = fleet.sites.length === 1 ? "1 site" : `${fleet.sites.length} sites`;
      print(
        valid
          ? `ok: ${fleet.devices.length} devices in ${sites}${violations.length > 0 ? ` (${violations.length} advisory violation${violations.length === 1 ? "" : "s"})` : ""}\n`
          : `${[
              ...(fleet.errors.length > 0
                ? [`${fleet.errors.length} error${fleet.errors.length === 1 ? "" : "s"}`]
                : []),
              ...(mandatory > 0
                ? [`${mandatory} mandatory policy violation${mandatory === 1 ? "" : "s"}`]
                : []),
            ].join(", ")}\n`,
      );
    }
    return valid ? 0 : 1;
  },
};
