// `shelly-fleet schema`: the JSON Schemas for the fleet files, generated from the field catalog.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { PACKAGE_ROOT } from "../../automation/stack";
import { UsageError } from "../../errors";
import { schemaFiles } from "../../fleet";
import { type Command, print } from "../command";

const HELP = `Usage: shelly-fleet schema [--write] [--dir DIR]

Print the JSON Schemas of the device, profile and site files, generated from the field catalog;
with --write, write them to schema/ (run it after changing the catalog; a test checks the
committed files are current).

Options:
      --write       write schema/*.schema.json instead of printing
  -d, --dir DIR     where to write; default: this package's schema/
  -h, --help        show this help
`;

export const schemaCommand: Command = {
  name: "schema",
  summary: "Print or write the JSON Schemas of the fleet files",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        write: { type: "boolean", default: false },
        dir: { type: "string", short: "d" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const files = schemaFiles();
    if (!values.write) {
      for (const [name, text] of Object.entries(files)) print(`// ${name}\n${text}`);
      return 0;
    }
    const dir = path.resolve(values.dir ?? path.join(PACKAGE_ROOT, "schema"));
    fs.mkdirSync(dir, { recursive: true });
    for (const [name, text] of Object.entries(files)) {
      fs.writeFileSync(path.join(dir, name), text);
      print(`wrote ${path.join(dir, name)}\n`);
    }
    return 0;
  },
};
