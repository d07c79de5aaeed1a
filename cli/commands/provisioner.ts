// `shelly-fleet provisioner`: the provisioning agent, run on a host near the devices.
import * as fs from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { UsageError } from "../../errors";
import type { AuditEntry } from "../../providers/provision/agent/protocol";
import { isLoopbackHost, type LinkKind, startAgent } from "../../providers/provision/agent/server";
import { readTokenFile, tokenProblem, writeNewTokenFile } from "../../providers/provision/agent/token";
import { type Command, print } from "../command";

const TOKEN_ENV = "SHELLY_FLEET_PROVISIONER_TOKEN";

const HELP = `Usage: shelly-fleet provisioner --name NAME [options]

Runs the provisioning agent: a host with WiFi near new devices (a Raspberry Pi, say) takes
provisioning tasks from \`pulumi up\` (devices whose [provision] driver is "agent"), joins each
device's access point, and brings it onto the network. One task at a time per WiFi interface;
the queue is kept in --state and survives restarts; a task interrupted by a restart fails and is
never run twice. See README, "Provisioning: the agent".

GET /healthz (liveness) and GET /readyz (readiness: the queue can be saved, the token is
loaded) answer without the token, for a supervisor's probes.

The API is plain HTTP on loopback by default: to reach it from other hosts, put it behind a TLS
reverse proxy (README, "Provisioning: the agent"). The token must hold 32 random bytes; a token
file must be mode 0600 and owned by the agent's user.

Options:
      --name NAME            this agent's name, as device files give it (agent = "NAME")
      --listen HOST:PORT     where the API listens; default 127.0.0.1:8470
      --url URL              the URL others reach this agent at; default http://HOST:PORT
      --state FILE           the task queue and registry; default ./provisioner-state.json
      --interface IFACE      a WiFi interface to use (repeatable); default wlan0
      --link nmcli|direct    how to join access points; default nmcli (direct: already reachable)
      --registry URL         the agent to send heartbeats to; default this agent itself
      --heartbeat-seconds N  seconds between heartbeats; default 15 (alive: 3 heartbeats)
      --token-file FILE      the API token (mode 0600); default the ${TOKEN_ENV} environment variable
      --new-token FILE       write a fresh token to FILE (mode 0600, never over an existing file), then exit
      --audit-log FILE       append one JSON line per task event and refusal; default STATE with .audit.jsonl
      --forget-agent NAME    drop NAME's registered URL before serving (repeatable): the only way to
                             move an agent to another URL; a heartbeat with another URL is refused
      --max-body-bytes N     the largest request body; larger ones get 413; default 1048576
      --rate-limit N         requests per minute per token (and per address without it); default 3000
      --metrics-public       serve GET /metrics without the token (only with a loopback --listen:
                             for a scraper on this host; a reverse proxy in front must not forward it)
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
        "new-token": { type: "string" },
        "audit-log": { type: "string" },
        "forget-agent": { type: "string", multiple: true, default: [] },
        "max-body-bytes": { type: "string", default: "1048576" },
        "rate-limit": { type: "string", default: "3000" },
        "metrics-public": { type: "boolean", default: false },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    if (values.help) {
      print(HELP);
      return 0;
    }
    if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
    if (values["new-token"]) {
      oneLine(() => writeNewTokenFile(values["new-token"] as string));
      print(`wrote a new agent token to ${values["new-token"]} (mode 0600)\n`);
      return 0;
    }
    if (!values.name) throw new UsageError("--name is required: the name device files give as agent");
    const listen = /^([^:]+):(\d{1,5})$/.exec(values.listen);
    if (!listen) throw new UsageError(`--listen expects HOST:PORT, got "${values.listen}"`);
    if (values.link !== "nmcli" && values.link !== "direct") {
      throw new UsageError(`--link expects nmcli or direct, got "${values.link}"`);
    }
    const heartbeatSeconds = Number(values["heartbeat-seconds"]);
    if (!(heartbeatSeconds > 0)) throw new UsageError("--heartbeat-seconds expects a positive number");
    const maxBodyBytes = positiveWhole(values["max-body-bytes"], "--max-body-bytes");
    const perMinute = positiveWhole(values["rate-limit"], "--rate-limit");
    const tokenFile = values["token-file"];
    const token = tokenFile ? oneLine(() => readTokenFile(tokenFile)) : process.env[TOKEN_ENV];
    if (!token) throw new UsageError(`no token: set ${TOKEN_ENV} or give --token-file`);
    const problem = tokenProblem(token);
    if (problem) throw new UsageError(`${tokenFile ?? TOKEN_ENV}: ${problem}`);
    const host = listen[1] as string;
    if (values["metrics-public"] && !isLoopbackHost(host)) {
      throw new UsageError(`--metrics-public needs a loopback --listen address, not ${host}`);
    }
    if (!isLoopbackHost(host)) {
      process.stderr.write(
        `warning: listening on ${host}: the API is plain HTTP, and tasks carry WiFi and device passwords; put it behind a TLS reverse proxy (README, "Provisioning: the agent")\n`,
      );
    }
    const statePath = path.resolve(values.state);
    const auditFile = path.resolve(values["audit-log"] ?? `${statePath.replace(/\.json$/, "")}.audit.jsonl`);

    const agent = await startAgent({
      name: values.name,
      host,
      port: Number(listen[2]),
      token,
      stateFile: statePath,
      interfaces: values.interface.length > 0 ? values.interface : ["wlan0"],
      link: values.link as LinkKind,
      ...(values.registry && { registryUrl: values.registry.replace(/\/+$/, "") }),
      ...(values.url && { publicUrl: values.url.replace(/\/+$/, "") }),
      heartbeatMs: heartbeatSeconds * 1000,
      version: require("../../../package.json").version,
      audit: appendAudit(auditFile),
      maxBodyBytes,
      rateLimit: { perMinute },
      forgetAgents: values["forget-agent"],
      metricsPublic: values["metrics-public"],
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

/** A file or token problem as one line, without the stack. */
function oneLine<T>(act: () => T): T {
  try {
    return act();
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
}

function positiveWhole(text: string, option: string): number {
  const value = Number(text);
  if (!(Number.isInteger(value) && value > 0)) {
    throw new UsageError(`${option} expects a positive whole number, got "${text}"`);
  }
  return value;
}

/** Appends audit entries as JSON lines to a file only the agent's user can read. */
function appendAudit(file: string): (entry: AuditEntry) => void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const fd = fs.openSync(file, "a", 0o600);
  return (entry) => fs.appendFileSync(fd, `${JSON.stringify(entry)}\n`);
}
