// pulumi-language-nodejs for Pulumi installs that have none (the CLI built from the Go module
// proxy here): the engine starts it as `pulumi-language-nodejs [-flags] [engine address]`, reads
// the port it prints, and calls the LanguageRuntime service on 127.0.0.1 at that port.
// scripts/env.sh installs the shim beside `pulumi` that runs this file.
import { version } from "@pulumi/pulumi/version";
import { grpcJs, LanguageRuntimeService, languageRuntime } from "./runtime";

/** The engine's arguments: Go-style flags (`-root=DIR`, `-tracing URL`), then the engine's address. */
export function parseArguments(argv: string[]): { engineAddress?: string; tracing?: string } {
  const flags = new Map<string, string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const flag = /^--?([^=]+)(?:=(.*))?$/.exec(arg);
    if (!flag) {
      positional.push(arg);
      continue;
    }
    const [, name = "", inline] = flag;
    // Flags with a value may take it from the next argument; the others are booleans.
    if (inline === undefined && VALUE_FLAGS.has(name) && i + 1 < argv.length)
      flags.set(name, argv[++i] as string);
    else flags.set(name, inline ?? "true");
  }
  return { engineAddress: positional[0], tracing: flags.get("tracing") || undefined };
}

/** The official host's flags that take a value; only -tracing matters here, the rest are accepted. */
const VALUE_FLAGS = new Set(["tracing", "root", "tsconfig", "nodeargs", "packagemanager", "binary"]);

function main(): void {
  const { engineAddress, tracing } = parseArguments(process.argv.slice(2));
  const server = new grpcJs.Server({
    // Programs with thousands of resources send large messages; no limit, as with the engine.
    "grpc.max_receive_message_length": -1,
    "grpc.max_send_message_length": -1,
  });
  server.addService(LanguageRuntimeService, languageRuntime({ engineAddress, tracing, version }));
  // Loopback only: the engine runs on this machine, and nothing else should reach the host.
  server.bindAsync("127.0.0.1:0", grpcJs.ServerCredentials.createInsecure(), (err, port) => {
    if (err) {
      console.error(`pulumi-language-nodejs: could not start the gRPC server: ${err.message}`);
      process.exit(1);
    }
    process.stdout.write(`${port}\n`);
  });
  // The engine stops the host when it is done; if the engine itself dies, go with it.
  const parent = process.ppid;
  setInterval(() => {
    if (process.ppid !== parent) process.exit(0);
  }, 1_000).unref();
}

if (require.main === module) main();
