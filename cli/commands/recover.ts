// `shelly-fleet recover`: after a run was killed (power cut, SIGKILL, a closed laptop).
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import {
  fileBackendDir,
  liveLockHolders,
  restoreLastCompleteState,
  type StackFiles,
  stateFileProblem,
} from "../../automation/recovery";
import { loadProgram, openStack, PACKAGE_ROOT, PROJECT_NAME } from "../../automation/stack";
import { UsageError } from "../../errors";
import { defaultJournalDir, readJournal, unfinishedWrites } from "../../providers/shared/journal";
import { type Command, print } from "../command";

const HELP = `Usage: shelly-fleet recover [options]

After a run was killed halfway: print what it was writing (from the apply journal,
<state directory>/journal/<site>.jsonl), restore the last complete state when the state file
was cut short (a full disk, a power cut), release the stack's lock, and read every device
again, dropping the operations the killed run left pending. Then run \`shelly-fleet up\`:
devices are re-read and brought to their files (creating a device is an upsert, so one
interrupted halfway is simply finished).

It refuses while a run of this stack is still alive on this machine, and names its pid.

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
    const projectDir = path.resolve(values.dir ?? PACKAGE_ROOT);
    const backendUrl = process.env.PULUMI_BACKEND_URL;
    const stateDir = fileBackendDir(backendUrl, projectDir);
    if (stateDir) {
      const files: StackFiles = { stateDir, project: PROJECT_NAME, stack: values.stack };
      const [holder] = liveLockHolders(files);
      if (holder) {
        // Unsafe or impossible: one line, exit 1, nothing changed.
        throw new UsageError(
          `a run of stack ${values.stack} is still going: pid ${holder.pid}, since ${holder.timestamp}; stop it (kill ${holder.pid}) or let it finish, then run recover again`,
          1,
        );
      }
      printUnfinishedWrites(defaultJournalDir(backendUrl, projectDir));
      const problem = stateFileProblem(files);
      if (problem) {
        const restored = restoreLastCompleteState(files);
        if (!restored) {
          // Unsafe or impossible: one line, exit 1, nothing changed.
          throw new UsageError(
            `the state of stack ${values.stack} was cut short (${problem}) and the backend has no complete copy to restore`,
            1,
          );
        }
        print(
          `the state file was cut short (${problem}): restored the last complete state, saved ${restored.savedAt.toISOString()}, from ${restored.from}; the cut file is kept as ${restored.keptAs}\n`,
        );
      }
    } else {
      print("the backend is not a local directory: its lock and state are left to the backend\n");
    }
    const stack = await openStack({
      projectDir,
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

function printUnfinishedWrites(journalDir: string): void {
  let sites: string[];
  try {
    sites = fs.readdirSync(journalDir).filter((name) => name.endsWith(".jsonl"));
  } catch {
    return;
  }
  for (const site of sites.map((name) => name.slice(0, -".jsonl".length))) {
    const unfinished = unfinishedWrites(readJournal(journalDir, site));
    if (unfinished.length === 0) continue;
    print(
      `the killed run left these writes unfinished (journal ${path.join(journalDir, `${site}.jsonl`)}):\n`,
    );
    for (const line of unfinished) {
      print(`  ${line.device}: ${line.phase}${line.step ? ` ${line.step}` : ""} at ${line.time}\n`);
    }
  }
}
