// The agent's probes for a supervisor (a kubelet, systemd, a load balancer): /healthz says the
// process serves, /readyz that it can take tasks (its queue can be saved, a valid token is
// loaded). Both without the token; neither says anything secret.
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { describe, expect, test } from "vitest";
import type { AuditEntry } from "../../providers/provision/agent/protocol";
import { agentFixture, TOKEN } from "./agent-support";

const { paths, start, api } = agentFixture();

describe("provisioner agent: health probes", () => {
  test("/healthz and /readyz answer without the token, and are not audited", async () => {
    const audit: AuditEntry[] = [];
    const agent = await start({ audit: (entry) => audit.push(entry) });
    const live = await api(agent, "/healthz", {}, "");
    expect(live.status).toBe(200);
    expect(await live.json()).toEqual({ ok: true });
    const ready = await api(agent, "/readyz?verbose", {}, "");
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ ready: true, checks: { store: "ok", token: "ok", serving: "ok" } });
    const text = JSON.stringify(await (await api(agent, "/readyz", {}, "")).json());
    expect(text).not.toContain(TOKEN);
    expect(audit).toEqual([]);
    // The probe file is gone again: only the state file (and nothing else) is left.
    expect(await fs.readdir(paths.dir)).toEqual(["state.json"]);
  });

  test("/readyz is 503 naming the directory when the queue cannot be saved; /healthz stays 200", async () => {
    const stateFile = path.join(paths.dir, "queue", "state.json");
    const agent = await start({ stateFile });
    expect((await api(agent, "/readyz", {}, "")).status).toBe(200);
    // A directory that turned into a file: what a lost or read-only volume looks like even to root.
    await fs.rm(path.dirname(stateFile), { recursive: true });
    await fs.writeFile(path.dirname(stateFile), "");
    const ready = await api(agent, "/readyz", {}, "");
    expect(ready.status).toBe(503);
    const body = (await ready.json()) as { ready: boolean; checks: Record<string, string> };
    expect(body.ready).toBe(false);
    expect(body.checks.store).toMatch(
      new RegExp(
        `^the state file's directory ${path.dirname(stateFile)} is not writable \\((EEXIST|ENOTDIR)\\)$`,
      ),
    );
    expect(body.checks.token).toBe("ok");
    expect((await api(agent, "/healthz", {}, "")).status).toBe(200);
  });

  test("a flood gets /readyz rate-limited but never /healthz: a flood cannot get the agent restarted", async () => {
    const agent = await start({ rateLimit: { perMinute: 2, burst: 2 } });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(agent, "/readyz", {}, "")).status);
    expect(statuses).toEqual([200, 200, 429, 429]);
    expect((await api(agent, "/healthz", {}, "")).status).toBe(200);
  });

  test("only GET is open: other methods on the probe paths need the token", async () => {
    const agent = await start();
    expect((await api(agent, "/healthz", { method: "POST", body: "{}" }, "")).status).toBe(401);
    expect((await api(agent, "/readyz", { method: "POST", body: "{}" })).status).toBe(404);
  });
});
