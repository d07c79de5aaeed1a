// Every command, run with the mistakes and faults a user meets first: each answers with one
// clear message and a non-zero exit, never a stack trace or an "unexpected error".
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { COMMAND_MODULES } from "../../cli/main";
import { runCli } from "../support/cli";

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

describe("no stack trace for a user's mistake or a device's fault", () => {
  // Made before the cases are listed (test.each reads them when the file loads).
  const root = mkdtempSync(path.join(os.tmpdir(), "no-traces-"));
  mkdirSync(path.join(root, "devices", "home"), { recursive: true });
  writeFileSync(path.join(root, "devices", "home", "site.toml"), 'subnet = "127.0.0.0/30"\n');
  // A device whose address refuses connections (port 1 on loopback: nothing listens there).
  writeFileSync(
    path.join(root, "devices", "home", "dead.toml"),
    'mac = "02000000DEAD"\naddress = "127.0.0.1:1"\n\n[device]\nname = "Dead"\n',
  );
  writeFileSync(path.join(root, "broken.json"), "{ not json");
  writeFileSync(path.join(root, "token"), "short", { mode: 0o600 });

  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const cases: [string, string[]][] = [
    ...COMMAND_MODULES.flatMap((module) => module.names).map((name): [string, string[]] => [
      `${name}: an unknown option`,
      [name, "--frobnicate"],
    ]),
    ["validate: a root that does not exist", ["validate", "--root", path.join(root, "nowhere")]],
    ["explain: a device that does not exist", ["explain", "nosuch", "--root", root, "--site", "home"]],
    ["adopt: nothing answers at the address", ["adopt", "127.0.0.1:1", "--site", "home", "--root", root]],
    ["adopt: no site", ["adopt", "127.0.0.1:1"]],
    ["discover: a malformed CIDR", ["discover", "127.0.0.300/32", "--root", root, "--site", "home"]],
    ["status: a device that is down", ["status", "--root", root, "--site", "home"]],
    ["diff: an unknown revision", ["diff", "no-such-ref", "--root", root]],
    [
      "pr-comment: a preview file that is not JSON",
      ["pr-comment", "--preview", path.join(root, "broken.json")],
    ],
    [
      "pr-comment: a preview file that does not exist",
      ["pr-comment", "--preview", path.join(root, "none.json")],
    ],
    ["sim: a capture directory that does not exist", ["sim", "--from", path.join(root, "nowhere")]],
    ["preview: a stack that does not exist", ["preview", "--stack", "no-such-stack"]],
    ["up: --secret with its value on the command line", ["up", "--yes", "--secret", "secret.x=visible"]],
    ["recover: a stack that does not exist", ["recover", "--stack", "no-such-stack"]],
    [
      "provisioner: a token too short",
      ["provisioner", "--name", "a", "--token-file", path.join(root, "token")],
    ],
  ];

  test.each(cases)("%s", async (_label, args) => {
    const result = await runCli(args);
    const output = result.stdout + result.stderr;
    expect(result.code, output).not.toBe(0);
    // One message on stderr; status reports a device that is down as its row, exit 8.
    if (args[0] === "status" && args[1] !== "--frobnicate")
      expect(result.stdout).toMatch(/unreachable; 127\.0\.0\.1:1 .*ECONNREFUSED/);
    else expect(result.stderr, output).toMatch(/^shelly-fleet: .+\n/);
    expect(output).not.toMatch(STACK_FRAME);
    expect(output).not.toMatch(/unexpected error/);
    expect(output).not.toContain("visible");
  });
});
