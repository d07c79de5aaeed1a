// `shelly-fleet wake-listener`: the server sleeping Gen2+ devices' outbound WebSocket connects to
// when they wake; it applies the changes `up` recorded for them (providers/shelly/sleep/).
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { defaultJournalDir } from "../../providers/shared/journal";
import { startWakeListener } from "../../providers/shelly/sleep/listener";
import { type Command, print } from "../command";

const HELP = `Usage: shelly-fleet wake-listener [--listen HOST:PORT] [--journal-dir DIR]

Serves the outbound WebSocket of sleeping battery devices (device files with sleeping = true).
\`up\` records a sleeping device's changes while it sleeps; when the device wakes it connects
here (its [outbound_ws] server = "ws://HOST:PORT"), and the listener checks its MAC against the
file, applies exactly the changed keys, verifies them, and records what it applied, so the next
preview is clean. One line per wake on standard output. See README, "Sleeping devices".

Options:
      --listen HOST:PORT   where to listen; default 0.0.0.0:8485 (the devices must reach it)
      --journal-dir DIR    the apply journal's directory (stack config shelly-fleet:journalDir);
                           default: beside the file backend's state, as up uses it
  -h, --help               show this help
`;

export const wakeListenerCommand: Command = {
  name: "wake-listener",
  summary: "Apply recorded changes to sleeping devices when they wake (outbound WebSocket)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        listen: { type: "string", default: "0.0.0.0:8485" },
        "journal-dir": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    const listen = /^([^:]+):(\d{1,5})$/.exec(values.listen);
    if (!listen) throw new UsageError(`--listen expects HOST:PORT, got "${values.listen}"`);
    const listener = await startWakeListener({
      host: listen[1] as string,
      port: Number(listen[2]),
      journalDir: values["journal-dir"] ?? defaultJournalDir(),
      log: (line) => print(`${new Date().toISOString()} ${line}\n`),
    });
    print(`listening on ${listener.url}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await listener.close();
    return 0;
  },
};
