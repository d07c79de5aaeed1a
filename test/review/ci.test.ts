// The CI side: drift issues planned from a real drift preview, the drift script driving a fake
// `gh` that records its calls, the comment script's checks, and the workflow YAML checked by
// actionlint and by structure.
import { execFile, execFileSync } from "node:child_process";
import * as fs from "node:fs/promises";
import * as os from "node:os";
import * as path from "node:path";
import * as yaml from "js-yaml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { planDriftIssues } from "../../review/drift";
import { analyzePreview } from "../../review/preview-changes";
import { PREVIEW_COMMENT_MARKER } from "../../review/render";
import { REPO_ROOT } from "../support/cli";
import { fixturePath, loadFixture } from "./support";

const WORKFLOWS = path.join(REPO_ROOT, ".github", "workflows");
let scratch: string;

beforeAll(async () => {
  scratch = await fs.mkdtemp(path.join(os.tmpdir(), "review-ci-"));
});
afterAll(async () => {
  if (scratch) await fs.rm(scratch, { recursive: true, force: true });
});

/** A `gh` on PATH that logs each call (args and stdin) and answers from $GH_ANSWER. */
async function fakeGh(answer: string): Promise<{ env: NodeJS.ProcessEnv; calls: () => Promise<string[]> }> {
  const dir = await fs.mkdtemp(path.join(scratch, "gh-"));
  const log = path.join(dir, "calls.log");
  await fs.writeFile(
    path.join(dir, "gh"),
    `#!/usr/bin/env bash\n{ printf '%s|' "$@"; printf '\\n'; if [ ! -t 0 ]; then sed 's/^/  stdin: /'; fi; } >>"${log}"\nprintf '%s' "$GH_ANSWER"\n`,
    { mode: 0o755 },
  );
  return {
    env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, GH_ANSWER: answer },
    calls: async () =>
      (await fs.readFile(log, "utf8").catch(() => ""))
        .split("\n")
        .filter((l) => l && !l.startsWith("  stdin:")),
  };
}

function runNode(script: string, args: string[], env: NodeJS.ProcessEnv) {
  return new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      [path.join(REPO_ROOT, "dist", "scripts", "ci", script), ...args],
      { env },
      (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

describe("drift issues", () => {
  const lab = analyzePreview(loadFixture("drift"), "lab");

  test("one issue per drifted device, with the live and the files' values", () => {
    const [action, ...rest] = planDriftIssues([lab], [], "https://ci/run/1");
    expect(rest).toEqual([]);
    expect(action).toMatchObject({ action: "create", device: "lab/porch", title: "Drift: lab/porch" });
    const body = action?.action === "create" ? action.body : "";
    expect(body.split("\n")[0]).toBe("<!-- shelly-fleet-drift:lab/porch -->");
    expect(body).toContain('| `switch[0].name` | "Changed by hand" | "Light" |');
    expect(body).toContain("Found by https://ci/run/1.");
  });

  test("an open issue is updated; one whose device no longer drifts is closed; other stacks' are left", () => {
    const open = [
      { number: 7, title: "Drift: lab/porch", body: "<!-- shelly-fleet-drift:lab/porch -->\nold" },
      { number: 8, title: "Drift: lab/garage", body: "<!-- shelly-fleet-drift:lab/garage -->\nold" },
      { number: 9, title: "Drift: home/plug", body: "<!-- shelly-fleet-drift:home/plug -->\nold" },
      { number: 10, title: "Unrelated", body: "no marker" },
    ];
    const actions = planDriftIssues([lab], open);
    expect(actions.map((a) => [a.action, a.device, "number" in a ? a.number : undefined])).toEqual([
      ["update", "lab/porch", 7],
      ["close", "lab/garage", 8],
    ]);
  });

  test("a clean stack produces no issue", () => {
    expect(planDriftIssues([analyzePreview(loadFixture("no-changes"), "lab")], [])).toEqual([]);
  });

  test("drift-issues.js: reads the open issues with gh, creates the issue with its label", async () => {
    const gh = await fakeGh("[]");
    const lab = path.join(scratch, "lab.json");
    await fs.copyFile(fixturePath("drift"), lab);
    const result = await runNode("drift-issues.js", [lab], gh.env);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("create lab/porch\n");
    expect(await gh.calls()).toEqual([
      "issue|list|--label|drift|--state|open|--limit|1000|--json|number,title,body|",
      "label|create|drift|--force|--color|D93F0B|--description|A device differs from the fleet files|",
      "issue|create|--title|Drift: lab/porch|--label|drift|--body-file|-|",
    ]);
  });

  test("drift-issues.js: a gh failure is one line, exit 1", async () => {
    const gh = await fakeGh("not json");
    const result = await runNode("drift-issues.js", [fixturePath("drift")], gh.env);
    expect(result.stderr).toMatch(/^drift-issues: .*JSON.*\n$/);
    expect(result.code).toBe(1);
  });
});

// The GitHub calls themselves are tested with nock in github.test.ts; here the script's checks
// that stop it before any call.
describe("upsert-pr-comment.js", () => {
  const noGitHub = {
    PATH: process.env.PATH,
    GITHUB_REPOSITORY: "octo/fleet",
    GITHUB_API_URL: "http://127.0.0.1:9",
  };

  test("without a token: one line naming GH_TOKEN, exit 1", async () => {
    const comment = path.join(scratch, "comment.md");
    await fs.writeFile(comment, `${PREVIEW_COMMENT_MARKER}\nbody\n`);
    const result = await runNode("upsert-pr-comment.js", ["12", comment], noGitHub);
    expect(result.stderr).toMatch(/^upsert-pr-comment: set GH_TOKEN .*\n$/);
    expect(result.stdout).toBe("");
    expect(result.code).toBe(1);
  });

  test("a file that is not our comment is refused before any call", async () => {
    const comment = path.join(scratch, "other.md");
    await fs.writeFile(comment, "# something else\n");
    const result = await runNode("upsert-pr-comment.js", ["12", comment], { ...noGitHub, GH_TOKEN: "t" });
    expect(result.stderr).toBe(`upsert-pr-comment: ${comment} does not start with the preview marker\n`);
    expect(result.code).toBe(1);
  });
});

describe("workflows", () => {
  interface Workflow {
    on: Record<string, unknown>;
    jobs: Record<
      string,
      { "runs-on": string[]; steps: { run?: string; uses?: string; with?: { path?: string } }[] }
    >;
  }
  const load = async (file: string) =>
    yaml.load(await fs.readFile(path.join(WORKFLOWS, file), "utf8")) as Workflow;

  test("actionlint finds nothing (installed by scripts/ci/install-actionlint.sh)", () => {
    const actionlint = execFileSync("bash", [path.join(REPO_ROOT, "scripts/ci/install-actionlint.sh")], {
      encoding: "utf8",
      timeout: 240_000,
    }).trim();
    const output = execFileSync(actionlint, ["-no-color"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(output).toBe("");
  });

  test("each event runs its script on the LAN runner", async () => {
    const expectations: [string, string, RegExp][] = [
      ["pull-request.yml", "pull_request", /scripts\/ci\/pr-review\.sh[\s\S]*upsert-pr-comment\.js/],
      ["deploy.yml", "push", /validate[\s\S]*main\.js up --yes --create --stack/],
      ["drift-check.yml", "schedule", /scripts\/ci\/drift-check\.sh/],
    ];
    for (const [file, event, script] of expectations) {
      const workflow = await load(file);
      expect(Object.keys(workflow.on)).toContain(event);
      const [job] = Object.values(workflow.jobs);
      expect(job?.["runs-on"]).toEqual(["self-hosted", "shelly-lan"]);
      expect(job?.steps.map((s) => s.run ?? "").join("\n")).toMatch(script);
    }
  });

  test("outputs and artifacts stay outside the checkout (review/ there is source code)", async () => {
    const outside = /^\$\{\{ runner\.temp \}\}\//;
    const files = (await fs.readdir(WORKFLOWS)).filter((f) => f.endsWith(".yml"));
    const steps = (await Promise.all(files.map(load)))
      .flatMap((w) => Object.values(w.jobs))
      .flatMap((j) => j.steps);
    const artifacts = steps.filter((s) => s.uses?.startsWith("actions/upload-artifact"));
    expect(artifacts.length).toBeGreaterThan(0);
    for (const step of artifacts) expect(step.with?.path).toMatch(outside);
    // The scripts' OUT_DIR: the last argument of pr-review.sh, the only one of drift-check.sh.
    const outDirs = steps.flatMap((s) =>
      [...(s.run ?? "").matchAll(/(?:pr-review|drift-check)\.sh\b.*"([^"]+)"\s*$/gm)].map((m) => m[1]),
    );
    expect(outDirs).toHaveLength(2);
    for (const dir of outDirs) expect(dir).toMatch(outside);
  });
});
