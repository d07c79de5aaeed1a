// The pull-request comment from real `preview --json` documents captured from the engine against
// simulated devices (fixtures/, see capture-previews.ts), and the document builder itself.
import * as fs from "node:fs";
import * as os from "node:os";
import type { EngineEvent } from "@pulumi/pulumi/automation";
import { describe, expect, test } from "vitest";
import { analyzePreview } from "../../review/preview-changes";
import { type PreviewDigest, PreviewDigestBuilder } from "../../review/preview-json";
import { GITHUB_COMMENT_LIMIT, PREVIEW_COMMENT_MARKER, renderPreviewComment } from "../../review/render";
import { runCli } from "../support/cli";
import { fixturePath, loadFixture } from "./support";

const render = (name: string) => renderPreviewComment([analyzePreview(loadFixture(name), name)]);

describe("the fixtures are the engine's documents", () => {
  test.each(["create", "no-changes", "drift", "changes"])("%s: no provider code, secrets masked", (name) => {
    const text = fs.readFileSync(fixturePath(name), "utf8");
    expect(text).not.toContain("__provider");
    expect(text).not.toContain("4dabf18193072939515e22adb298388d");
    expect(text).not.toMatch(/capture-(admin|wifi|mqtt)/);
  });
});

describe("pr-comment", () => {
  test("a pull request's changes: summary, renames, reboots, risks, field tables", () => {
    const comment = render("changes");
    expect(comment.startsWith(`${PREVIEW_COMMENT_MARKER}\n`)).toBe(true);
    expect(comment).toContain("- **Devices:** 2 to update, 1 renamed, 1 to create, 1 to delete\n");
    expect(comment).toContain("- **DHCP reservations:** no changes\n");
    expect(comment).toContain(
      "  - :warning: **reboot:** garage (Gen1 applies mqtt.enabled, mqtt.password, mqtt.server, mqtt.user after a reboot)\n",
    );
    expect(comment).toContain(
      "  - :warning: **connectivity (WiFi, IP, credentials):** cellar, garage, porch, shed → tool-shed (WiFi credentials: a wrong one takes the device offline)\n",
    );
    expect(comment).toContain("  - :warning: **access (login, admin password):** porch (device login)\n");
    expect(comment).toContain("  - :warning: **firmware:** porch (firmware version or update channel)\n");
    expect(comment).toContain("`shelly-fleet:secret.wifi-iot` added");
    expect(comment).toContain('| `switch[0].name` | "Light" | "Porch light" |  |');
    expect(comment).toContain("<summary>device <b>shed → tool-shed</b>: renamed (4 fields)</summary>");
    expect(comment).toContain("<summary>device <b>attic</b>: delete</summary>");
    // The serialized provider is no field, and the default provider's step is the config line.
    expect(comment).not.toMatch(/__provider|pulumi:providers/);
  });

  test("secrets show as [secret], never as references or values", () => {
    const comment = render("changes");
    expect(comment).toContain(
      "| `wifi.sta.password` | (unset) | [secret] | connectivity: WiFi credentials: a wrong one takes the device offline |",
    );
    // Internals are no changes: secret names and digests, the provider's version.
    expect(comment).not.toMatch(/secretDigests|loginSecret|providerVersion/);
    expect(comment).not.toMatch(/wifi-iot"|mqtt-shelly"|capture-/);
  });

  test("drift: the live value against the files' value", () => {
    const comment = render("drift");
    expect(comment).toContain("- **Devices:** 1 to update\n");
    expect(comment).toContain('| `switch[0].name` | "Changed by hand" | "Light" |  |');
  });

  test("no changes: the stack is named by the file", () => {
    const comment = render("no-changes");
    expect(comment).toContain("#### Stack `no-changes`");
    expect(comment).toContain("- **Devices:** no changes\n");
    expect(comment).not.toContain("<details>");
  });

  test("a fleet too large for one comment: the summary stays, details are counted", () => {
    const real = loadFixture("changes");
    const porch = real.steps.find((s) => s.urn.endsWith("::porch"));
    if (porch === undefined) throw new Error("the fixture has no porch update");
    const steps = Array.from({ length: 2_000 }, (_, i) => ({
      ...porch,
      urn: porch.urn.replace(/porch$/, `porch-${i}`),
    }));
    const big: PreviewDigest = { ...real, steps: [...real.steps, ...steps] };
    const comment = renderPreviewComment([analyzePreview(big)]);
    expect(comment.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(comment.length).toBeGreaterThan(GITHUB_COMMENT_LIMIT - 2_000);
    expect(comment).toContain("- **Devices:** 2002 to update, 1 renamed, 1 to create, 1 to delete\n");
    expect(comment).toContain("  - :warning: **reboot:** garage (");
    expect(comment).toContain(
      "  - :warning: **connectivity (WiFi, IP, credentials):** cellar, garage, porch, porch-0, porch-1, ",
    );
    expect(comment).toContain(
      "  - :warning: **access (login, admin password):** porch, porch-0, porch-1, porch-10, porch-100, ",
    );
    expect(comment).toMatch(/ and 1991 more \(device login\)\n/);
    const shown = comment.match(/<details>/g)?.length ?? 0;
    expect(comment).toContain(`_${2_005 - shown} more changes not shown (GitHub's comment limit)`);
    // Whole sections only.
    expect(comment.match(/<\/details>/g)?.length).toBe(shown);
  });

  test("the CLI: one comment for several stacks; outside git, no base", async () => {
    const result = await runCli([
      "pr-comment",
      "--preview",
      fixturePath("drift"),
      "-p",
      fixturePath("no-changes"),
      "--root",
      os.tmpdir(),
    ]);
    expect(result.stderr).toBe(
      `shelly-fleet: drift not told from change: ${os.tmpdir()} is not inside a git repository\n`,
    );
    expect(result.stdout).toContain("- **Drift or change:** not told apart (no base commit)\n");
    expect(result.code).toBe(0);
    expect(result.stdout.match(/#### Stack /g)).toHaveLength(2);
  });

  test("--report-url: the comment links to the fleet report under its heading", async () => {
    const url = "https://github.com/acme/fleet/actions/runs/42#artifacts (fleet-report)";
    const result = await runCli([
      "pr-comment",
      "-p",
      fixturePath("drift"),
      "--root",
      os.tmpdir(),
      "--report-url",
      url,
    ]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      "### shelly-fleet preview\n\n[Fleet report](<https://github.com/acme/fleet/actions/runs/42#artifacts%20(fleet-report)>): overview, topology, drift and a page per device.\n",
    );
    expect(render("drift")).not.toContain("Fleet report");
  });

  test.each([
    [["pr-comment"], "shelly-fleet: pr-comment needs --preview FILE\n"],
    [
      ["pr-comment", "-p", fixturePath("drift"), "--report-url", "javascript:alert(1)"],
      'shelly-fleet: --report-url "javascript:alert(1)": not an http(s) URL\n',
    ],
    [
      ["pr-comment", "--preview", "/nonexistent.json"],
      "shelly-fleet: cannot read the preview file /nonexistent.json: ENOENT\n",
    ],
    [["pr-comment", "--preview", __filename], /^shelly-fleet: .*preview\.test\.ts: not JSON \(.*\)\n$/],
    [["pr-comment", "--preview", fixturePath("../../../package")], /no "steps" list/],
  ])("a bad preview file or option is one line, exit 2: %j", async (args, message) => {
    const result = await runCli(args);
    if (typeof message === "string") expect(result.stderr).toBe(message);
    else expect(result.stderr).toMatch(message);
    expect(result.code).toBe(2);
  });
});

describe("the preview document from engine events", () => {
  const secret = {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    plaintext: "hunter2",
  };
  const state = (inputs: Record<string, unknown>) => ({
    type: "pulumi-nodejs:dynamic/shelly:Device",
    urn: "urn:pulumi:lab::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::porch",
    id: "C0FFEE000002",
    parent: "",
    provider: "p",
    inputs,
    outputs: { ...inputs, nested: { __provider: "exports.handler = 2", token: secret } },
  });
  const events: EngineEvent[] = [
    { sequence: 1, timestamp: 0, preludeEvent: { config: { "shelly-fleet:site": "lab" } } },
    {
      sequence: 2,
      timestamp: 0,
      resourcePreEvent: {
        metadata: {
          op: "same" as never,
          urn: "urn:pulumi:lab::shelly-fleet::pulumi:pulumi:Stack::shelly-fleet-lab",
          type: "pulumi:pulumi:Stack",
          provider: "",
        },
      },
    },
    {
      sequence: 3,
      timestamp: 0,
      resourcePreEvent: {
        metadata: {
          op: "update" as never,
          urn: "urn:pulumi:lab::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::porch",
          type: "pulumi-nodejs:dynamic/shelly:Device",
          provider: "p",
          old: state({ __provider: "exports.handler = 1", name: "porch", secretDigests: secret }),
          new: state({ __provider: "exports.handler = 1", name: "porch", secretDigests: "[secret]" }),
          diffs: [],
        },
      },
    },
    {
      sequence: 4,
      timestamp: 0,
      diagnosticEvent: { message: "debug noise", color: "", severity: "debug" as never },
    },
    { sequence: 5, timestamp: 0, diagnosticEvent: { message: "careful", color: "", severity: "warning" } },
    {
      sequence: 6,
      timestamp: 0,
      summaryEvent: {
        maybeCorrupt: false,
        durationSeconds: 2,
        resourceChanges: { update: 1, same: 1 },
        policyPacks: {},
      },
    },
  ];

  test("steps without sames, __provider stripped everywhere, secrets as [secret]", () => {
    const builder = new PreviewDigestBuilder();
    for (const event of events) builder.onEvent(event);
    const digest = builder.digest();
    expect(digest.steps.map((s) => s.op)).toEqual(["update"]);
    const [step] = digest.steps;
    expect(step?.oldState?.inputs).toEqual({ name: "porch", secretDigests: "[secret]" });
    expect(step?.oldState?.outputs.nested).toEqual({ token: "[secret]" });
    expect(JSON.stringify(digest)).not.toMatch(/__provider|hunter2/);
    expect(step?.detailedDiff).toBeNull();
    expect(digest.diagnostics).toEqual([{ message: "careful", severity: "warning" }]);
    expect(digest.changeSummary).toEqual({ update: 1, same: 1 });
    expect(digest.duration).toBe(2e9);
    expect(digest.config).toEqual({ "shelly-fleet:site": "lab" });
  });
});
