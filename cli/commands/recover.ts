// `shelly-fleet recover`: after a run was killed (power cut, SIGKILL, a closed laptop).
import * as path from "node:path";
import { parseArgs } from "node:util";
import { loadProgram, openStack, PACKAGE_ROOT } from "../../automation/stack";
import { UsageError } from "../../errors";
import { type Command, print } from "../command";

const HELP = `Usage: shelly-fleet recover [options]

After a run was killed halfway: release the stack's lock and read every device again,
dropping the operations the killed run left pending. Then run \`shelly-fleet up\`: devices
are re-read and brought to their files (creating a device is an upsert, so one interrupted
halfway is simply finished). What the killed run was writing is in the apply journal,
.pulumi-state/journal/<site>.jsonl in the project.

Only run it when no other run of this stack is still going.

Options:
  -s, --stack NAME   the stack; default: demo
  -C, --dir DIR      the Pulumi project directory; default: this package
  -h, --help         show this help
`;

export const recoverCommand: Command = {
  name: "recover",
  summary: "After a killed run: release the stack's lock and clear pending operations",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        stack: { type: "string", short: "s", default: "demo" },
        dir: { type: "string", short: "C" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const stack = await openStack({
      projectDir: path.resolve(values.dir ?? PACKAGE_ROOT),
      stackName: values.stack,
      program: loadProgram(),
    });
    print(`releasing the lock of stack ${values.stack}\n`);
    await stack.cancel();
    print("reading every device again; pending operations of the killed run are dropped\n");
    await stack.refresh({ onOutput: print, clearPendingCreates: true });
    print(`\nrecovered: run \`shelly-fleet up --stack ${values.stack}\` to finish the job\n`);
    return 0;
  },
};
