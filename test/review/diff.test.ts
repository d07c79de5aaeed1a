// `shelly-fleet diff` across real commits of a temporary git repository: a profile change fans
// out to every device it affects; devices added, removed and renamed are named as such.
import { execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { diffFleets } from "../../review/config-diff";
import { gitFleetSource, loadFleetAtCommit, resolveCommit } from "../../review/git-fleet";
import { runCli } from "../support/cli";

let repo: string;
const commits: Record<string, string> = {};

function git(...args: string[]): string {
  return execFileSync("git", args, {
    cwd: repo,
    encoding: "utf8",
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: "t",
      GIT_AUTHOR_EMAIL: "t@x",
      GIT_COMMITTER_NAME: "t",
      GIT_COMMITTER_EMAIL: "t@x",
    },
  }).trim();
}

async function write(relative: string, text: string): Promise<void> {
  await fs.mkdir(path.dirname(path.join(repo, relative)), { recursive: true });
  await fs.writeFile(path.join(repo, relative), text);
}

async function commit(label: string): Promise<void> {
  git("add", "-A");
  git("commit", "-q", "-m", label);
  commits[label] = git("rev-parse", "HEAD");
}

const device = (mac: string, ip: string, body = "") => `mac = "${mac}"\naddress = "${ip}"\n${body}`;

beforeAll(async () => {
  repo = await fs.mkdtemp(path.join(os.tmpdir(), "fleet-diff-"));
  git("init", "-q", "-b", "main");
  // The fleet sits in a subdirectory, as in a monorepo.
  await write("fleet/Pulumi.yaml", "name: shelly-fleet\n");
  await write("fleet/devices/lab/site.toml", 'profiles = ["base"]\n');
  await write("fleet/profiles/base.toml", "[cloud]\nenabled = false\n");
  await write("fleet/profiles/mqtt.toml", '[mqtt]\nenabled = true\nserver = "10.0.20.5:1883"\n');
  await write(
    "fleet/devices/lab/garage.toml",
    device("C0:FF:EE:00:00:01", "10.0.20.31", '\n[device]\nname = "Garage"\n'),
  );
  await write(
    "fleet/devices/lab/porch.toml",
    device("C0:FF:EE:00:00:02", "10.0.20.32", 'profiles = ["mqtt"]\n\n[[switch]]\nid = 0\nname = "Light"\n'),
  );
  await write(
    "fleet/devices/lab/shed.toml",
    device("C0:FF:EE:00:00:03", "10.0.20.33", 'profiles = ["mqtt"]\n'),
  );
  await commit("initial");

  await write(
    "fleet/profiles/mqtt.toml",
    '[mqtt]\nenabled = true\nserver = "10.0.20.6:1883"\npassword = { secret = "mqtt-shelly" }\n',
  );
  await commit("profile");

  await write(
    "fleet/devices/lab/cellar.toml",
    device("C0:FF:EE:00:00:04", "10.0.20.34", '\n[device]\nname = "Cellar"\n'),
  );
  await commit("added");

  await fs.rm(path.join(repo, "fleet/devices/lab/garage.toml"));
  await commit("removed");

  await fs.rename(
    path.join(repo, "fleet/devices/lab/shed.toml"),
    path.join(repo, "fleet/devices/lab/tool-shed.toml"),
  );
  await commit("renamed");
  git("tag", "v1", commits.initial as string);
});

afterAll(async () => {
  if (repo) await fs.rm(repo, { recursive: true, force: true });
});

async function diffBetween(base: string, head: string) {
  const source = await gitFleetSource(path.join(repo, "fleet"));
  const [before, after] = await Promise.all(
    [base, head].map(async (ref) => loadFleetAtCommit(source, await resolveCommit(source.repoRoot, ref))),
  );
  expect(before?.errors).toEqual([]);
  expect(after?.errors).toEqual([]);
  return diffFleets(before as never, after as never);
}

describe("diff between commits", () => {
  test("a profile change shows on every device that uses it, with the file that set it", async () => {
    const diff = await diffBetween("main~4", "main~3");
    expect(diff.counts).toEqual({ added: 0, removed: 0, renamed: 0, changed: 2 });
    expect(diff.devices.map((d) => d.name)).toEqual(["porch", "shed"]);
    for (const changed of diff.devices) {
      expect(changed.fields).toEqual([
        {
          key: "mqtt.server",
          before: "10.0.20.5:1883",
          after: "10.0.20.6:1883",
          setIn: "profiles/mqtt.toml",
        },
        { key: "mqtt.password", after: { secret: "mqtt-shelly" }, setIn: "profiles/mqtt.toml" },
      ]);
    }
  });

  test("an added device is named as added, with every field", async () => {
    const diff = await diffBetween(commits.profile as string, commits.added as string);
    expect(diff.devices).toHaveLength(1);
    expect(diff.devices[0]).toMatchObject({ kind: "added", name: "cellar", file: "devices/lab/cellar.toml" });
    expect(diff.devices[0]?.fields).toContainEqual({
      key: "device.name",
      after: "Cellar",
      setIn: "devices/lab/cellar.toml",
    });
    // Its address and MAC say where it is; nothing about its network changes.
    expect(diff.devices[0]?.risks).toEqual([]);
  });

  test("a removed device is named as removed", async () => {
    const diff = await diffBetween("HEAD~2", "HEAD^");
    expect(diff.devices.map((d) => [d.kind, d.name])).toEqual([["removed", "garage"]]);
  });

  test("a renamed file with the same MAC is a rename, not a removal and an addition", async () => {
    const diff = await diffBetween("HEAD~1", "main");
    expect(diff.devices).toEqual([
      expect.objectContaining({
        kind: "renamed",
        name: "tool-shed",
        mac: "C0FFEE000003",
        previous: { site: "lab", name: "shed", file: "devices/lab/shed.toml" },
        fields: [],
      }),
    ]);
  });

  test("the CLI: text by default, the working tree as head, secrets masked", async () => {
    await write(
      "fleet/devices/lab/porch.toml",
      device("C0:FF:EE:00:00:02", "10.0.20.42", 'profiles = ["mqtt"]\n'),
    );
    const result = await runCli(["diff", "v1", "--root", path.join(repo, "fleet")]);
    git("checkout", "-q", "--", ".");
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "diff v1..working tree: 1 device changed, 1 added, 1 removed, 1 renamed\n",
    );
    expect(result.stdout).toContain("~ changed lab/porch (devices/lab/porch.toml)  [connectivity]\n");
    expect(result.stdout).toContain('    address: "10.0.20.32" → "10.0.20.42"\n');
    expect(result.stdout).toContain('    switch[0].name: "Light" → (unset)    (devices/lab/porch.toml)\n');
    expect(result.stdout).toContain("    mqtt.password: (unset) → [secret]    (profiles/mqtt.toml)\n");
    expect(result.stdout).toContain(
      "> renamed lab/shed → lab/tool-shed (devices/lab/tool-shed.toml, same MAC C0FFEE000003)",
    );
    expect(result.stdout).toContain("- removed lab/garage (devices/lab/garage.toml)\n");
    expect(result.stdout).toContain("+ added lab/cellar (devices/lab/cellar.toml)\n");
    expect(result.stdout).not.toContain("mqtt-shelly");
  });

  test("the CLI: markdown and json", async () => {
    const root = path.join(repo, "fleet");
    const markdown = await runCli([
      "diff",
      commits.initial as string,
      "main",
      "--root",
      root,
      "--format",
      "markdown",
    ]);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toContain("#### > renamed: lab/shed → lab/tool-shed");
    expect(markdown.stdout).toContain("| `mqtt.password` | (unset) | [secret] | profiles/mqtt.toml |");
    const json = await runCli(["diff", "main~3", "main~2", "--root", root, "--format", "json"]);
    expect(json.code).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.counts).toEqual({ added: 1, removed: 0, renamed: 0, changed: 0 });
    expect(parsed.devices[0].fields).toContainEqual({ key: "address", after: "10.0.20.34" });
  });

  test.each([
    [["diff", "no-such-branch"], /^shelly-fleet: unknown revision "no-such-branch" in .*\n$/],
    [["diff", "main~9"], /^shelly-fleet: revision "main~9" goes past the first commit\n$/],
    [["diff"], /^shelly-fleet: diff needs a base ref/],
    [
      ["diff", "main", "--format", "html"],
      /^shelly-fleet: --format must be text, markdown or json, not "html"\n$/,
    ],
  ])("a user mistake is one line, exit 2: %j", async (args, message) => {
    const result = await runCli([...args, "--root", path.join(repo, "fleet")]);
    expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });

  test("outside a git repository: one line, exit 2", async () => {
    const outside = await fs.mkdtemp(path.join(os.tmpdir(), "no-git-"));
    const result = await runCli(["diff", "main", "--root", outside]);
    await fs.rm(outside, { recursive: true });
    expect(result.stderr).toBe(`shelly-fleet: ${outside} is not inside a git repository\n`);
    expect(result.code).toBe(2);
  });

  test("fleet files with errors at a ref: each error with its file and key, exit 1", async () => {
    await write(
      "fleet/devices/lab/porch.toml",
      'mac = "C0:FF:EE:00:00:02"\naddress = "10.0.20.32"\nprofiles = ["nope"]\n',
    );
    const result = await runCli(["diff", "main", "--root", path.join(repo, "fleet")]);
    git("checkout", "-q", "--", ".");
    expect(result.stderr).toContain("the fleet files at the working tree have 1 error(s)");
    expect(result.stderr).toMatch(/devices\/lab\/porch\.toml:3: profiles\[0\]: unknown profile "nope"/);
    expect(result.code).toBe(1);
  });
});
