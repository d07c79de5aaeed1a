// `shelly-fleet provisioner`: the provisioning agent, run on a host near the devices.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import { type LinkKind, startAgent } from "../../providers/provision/agent/server";
import { type Command, print } from "../command";

const TOKEN_ENV = "SHELLY_FLEET_PROVISIONER_TOKEN";

const HELP = `Usage: shelly-fleet provisioner --name NAME [options]

Runs the provisioning agent: a host with WiFi near new devices (a Raspberry Pi, say) takes
provisioning tasks from \`pulumi up\` (devices whose [provision] driver is "agent"), joins each
device's access point, and brings it onto the network. One task at a time per WiFi interface;
the queue is kept in --state and survives restarts; a task interrupted by a restart fails and is
never run twice. See README, "Provisioning: the agent".

Options:
      --name NAME            this agent's name, as device files give it (agent = "NAME")
      --listen HOST:PORT     where the API listens; default 127.0.0.1:8470
      --url URL              the URL others reach this agent at; default http://HOST:PORT
      --state FILE           the task queue and registry; default ./provisioner-state.json
      --interface IFACE      a WiFi interface to use (repeatable); default wlan0
      --link nmcli|direct    how to join access points; default nmcli (direct: already reachable)
      --registry URL         the agent to send heartbeats to; default this agent itself
      --heartbeat-seconds N  seconds between heartbeats; default 15 (alive: 3 heartbeats)
      --token-file FILE      the API token; default the ${TOKEN_ENV} environment variable
  -h, --help                 show this help
`;

export const provisionerCommand: Command = {
  name: "provisioner",
  summary: "Run the provisioning agent near new devices (HTTP API, persistent task queue)",
  help: HELP,
  async run(argv) {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        name: { type: "string" },
        listen: { type: "string", default: "127.0.0.1:8470" },
        url: { type: "string" },
        state: { type: "string", default: "provisioner-state.json" },
        interface: { type: "string", multiple: true, default: [] },
        link: { type: "string", default: "nmcli" },
        registry: { type: "string" },
        "heartbeat-seconds": { type: "string", default: "15" },
        "token-file": { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (!values.name) throw new UsageError("--name is required: the name device files give as agent");
    const listen = /^([^:]+):(\d{1,5})$/.exec(values.listen);
    if (!listen) throw new UsageError(`--listen expects HOST:PORT, got "${values.listen}"`);
    if (values.link !== "nmcli" && values.link !== "direct") {
      throw new UsageError(`--link expects nmcli or direct, got "${values.link}"`);
    }
    const heartbeatSeconds = Number(values["heartbeat-seconds"]);
    if (!(heartbeatSeconds > 0)) throw new UsageError("--heartbeat-seconds expects a positive number");
    const token = values["token-file"]
      ? fs.readFileSync(values["token-file"], "utf8").trim()
      : process.env[TOKEN_ENV];
    if (!token) throw new UsageError(`no token: set ${TOKEN_ENV} or give --token-file`);

    const agent = await startAgent({
      name: values.name,
      host: listen[1] as string,
      port: Number(listen[2]),
      token,
      stateFile: path.resolve(values.state),
      interfaces: values.interface.length > 0 ? values.interface : ["wlan0"],
      link: values.link as LinkKind,
      ...(values.registry && { registryUrl: values.registry.replace(/\/+$/, "") }),
      ...(values.url && { publicUrl: values.url.replace(/\/+$/, "") }),
      heartbeatMs: heartbeatSeconds * 1000,
      version: require("../../../package.json").version,
    });
    print(`${JSON.stringify({ agent: values.name, url: agent.url })}\n`);
    await new Promise<void>((resolve) => {
      process.once("SIGINT", resolve);
      process.once("SIGTERM", resolve);
    });
    await agent.close();
    return 0;
  },
};
