// Digest auth (Gen2+) and HTTP Basic (Gen1) as API.md section 4 and 2.1 describe them.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { DEFAULT_PASSWORD, digestHa1, digestResponse, RPC_HA2, type SimDevice, startDevice } from "../../sim";
import { authObject, basic, deviceDir, getJson, parseChallenge, rpc, sha256, sleep } from "./helpers";

const started: SimDevice[] = [];
async function device(name: string, options: Parameters<typeof startDevice>[1] = {}): Promise<SimDevice> {
  const d = await startDevice(path.isAbsolute(name) ? name : deviceDir(name), options);
  started.push(d);
  return d;
}
afterAll(() => Promise.all(started.map((d) => d.close())));

const REALM = "shellyplus1pm-aabbccddeeff";

/** A call that must be challenged; returns the challenge fields. */
async function challengeOf(address: string): Promise<ReturnType<typeof parseChallenge>> {
  const res = await fetch(`${address}/rpc`, {
    method: "POST",
    body: JSON.stringify({ id: 1, method: "Shelly.GetStatus" }),
  });
  expect(res.status).toBe(401);
  return parseChallenge(res.headers.get("www-authenticate"));
}

describe("API.md test vector", () => {
  test("HA1, HA2 and the response match the documented values", () => {
    const ha1 = digestHa1("shelly1minig3-543204547478", "tango");
    expect(ha1).toBe("a7266451916a922912b6ed71d594610f932ac1cc721348c3f234be6136b89ead");
    expect(RPC_HA2).toBe("6370ec69915103833b5222b368555393393f098bfbfbb59f47e0590af135f062");
    expect(digestResponse(ha1, "1716556501", "00000001", "1234", RPC_HA2)).toBe(
      "2f8dc4010b210741a55e99e1de92a87187623cc0fefdff23a4702caf77c526dc",
    );
    expect(digestResponse(ha1, "1716556501", "1", "1234", RPC_HA2)).toBe(
      "3e07b0fe38c419b01b1d79400d89e43bf5247a04631dc250e5275ee98a5e86f6",
    );
  });

  test("a device of an unseen model accepts the vector's auth object over the wire (legacy nonces)", async () => {
    // A Mini Gen3 capture made from the Gen4 one: a model the simulator has never seen.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-minig3-"));
    for (const file of ["Shelly.GetConfig.json", "Shelly.GetStatus.json"]) {
      fs.copyFileSync(path.join(deviceDir("gen4-mini1g4"), file), path.join(dir, file));
    }
    const info = JSON.parse(
      fs.readFileSync(path.join(deviceDir("gen4-mini1g4"), "Shelly.GetDeviceInfo.json"), "utf8"),
    );
    fs.writeFileSync(
      path.join(dir, "Shelly.GetDeviceInfo.json"),
      JSON.stringify({
        ...info,
        id: "shelly1minig3-543204547478",
        mac: "543204547478",
        gen: 3,
        model: "S3SW-001X8EU",
      }),
    );
    const d = await device(dir, {
      password: "tango",
      authMode: "legacy",
      now: () => 1716556501_000 + 60_000,
    });
    fs.rmSync(dir, { recursive: true });
    const auth = {
      realm: "shelly1minig3-543204547478",
      username: "admin",
      nonce: "1716556501",
      cnonce: "1234",
      nc: "00000001",
      response: "2f8dc4010b210741a55e99e1de92a87187623cc0fefdff23a4702caf77c526dc",
      algorithm: "SHA-256",
    };
    const frame = await rpc(d.address, "Shelly.GetDeviceInfo", undefined, auth);
    expect(frame.result.id).toBe("shelly1minig3-543204547478");
    const status = await rpc(d.address, "Switch.GetStatus", { id: 0 }, auth);
    expect(status.result.id).toBe(0);
    // Legacy nonces are decimal unix times, valid for an hour.
    expect((await challengeOf(d.address)).nonce).toBe("1716556561");
  });
});

describe("Gen2+ digest auth (firmware 2.0 behaviour)", () => {
  test("without credentials: 401 and a challenge; /shelly and GetDeviceInfo stay open", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authMode: "fw2" });
    const res = await fetch(`${d.address}/rpc/Shelly.GetStatus`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(
      new RegExp(`^Digest qop="auth", realm="${REALM}", nonce="[A-Za-z0-9+/=]+", algorithm=SHA-256$`),
    );
    expect((await getJson(`${d.address}/shelly`)).body.auth_en).toBe(true);
    const info = await getJson(`${d.address}/rpc/Shelly.GetDeviceInfo`);
    expect(info.status).toBe(200);
    expect(info.body.auth_domain).toBe(REALM);
  });

  test("a wrong password gets 401 with a fresh challenge; the right one works; nc must increase", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authMode: "fw2" });
    const { nonce } = await challengeOf(d.address);
    const wrong = await fetch(`${d.address}/rpc`, {
      method: "POST",
      body: JSON.stringify({ id: 2, method: "Shelly.GetStatus", auth: authObject(REALM, "wrong", nonce, 1) }),
    });
    expect(wrong.status).toBe(401);
    const fresh = parseChallenge(wrong.headers.get("www-authenticate"));
    expect(fresh.nonce).not.toBe(nonce);
    expect(fresh.realm).toBe(REALM);

    const ok = await rpc(d.address, "Shelly.GetStatus", undefined, authObject(REALM, "secret", nonce, 1));
    expect(ok.result.sys.mac).toBe("AABBCCDDEEFF");
    // The same nc again is a replay; the next nc is accepted (decimal in JSON, as AIO sends it).
    const replay = await fetch(`${d.address}/rpc`, {
      method: "POST",
      body: JSON.stringify({
        id: 3,
        method: "Shelly.GetStatus",
        auth: authObject(REALM, "secret", nonce, 1),
      }),
    });
    expect(replay.status).toBe(401);
    expect(
      (await rpc(d.address, "Shelly.GetStatus", undefined, authObject(REALM, "secret", nonce, 2))).result,
    ).toBeDefined();
    // 8-hex nc as MB sends it.
    expect(
      (await rpc(d.address, "Sys.GetConfig", undefined, authObject(REALM, "secret", nonce, "00000003")))
        .result.cfg_rev,
    ).toBe(35);
  });

  test("RFC 7616 Authorization header on GET /rpc/<Method>", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authMode: "fw2" });
    const uri = "/rpc/Switch.GetConfig?id=0";
    const challenge = await fetch(`${d.address}${uri}`);
    const { nonce } = parseChallenge(challenge.headers.get("www-authenticate"));
    const header = (nc: string, password: string) => {
      const response = sha256(
        `${sha256(`admin:${REALM}:${password}`)}:${nonce}:${nc}:abc:auth:${sha256(`GET:${uri}`)}`,
      );
      return `Digest username="admin", realm="${REALM}", nonce="${nonce}", uri="${uri}", cnonce="abc", nc=${nc}, qop=auth, response="${response}", algorithm=SHA-256`;
    };
    const ok = await getJson(`${d.address}${uri}`, {
      headers: { authorization: header("00000001", "secret") },
    });
    expect(ok.status).toBe(200);
    expect(ok.body.name).toBe("Switch Test Name 0");
    expect(
      (await fetch(`${d.address}${uri}`, { headers: { authorization: header("00000002", "nope") } })).status,
    ).toBe(401);
  });

  test("an expired nonce gets 401 with stale=true", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authMode: "fw2", nonceLifetimeMs: 150 });
    const { nonce } = await challengeOf(d.address);
    await sleep(250);
    const res = await fetch(`${d.address}/rpc`, {
      method: "POST",
      body: JSON.stringify({
        id: 1,
        method: "Shelly.GetStatus",
        auth: authObject(REALM, "secret", nonce, 1),
      }),
    });
    expect(res.status).toBe(401);
    const challenge = parseChallenge(res.headers.get("www-authenticate"));
    expect(challenge.stale).toBe("true");
    expect(challenge.nonce).not.toBe(nonce);
  });

  test("repeated failures are throttled with 429", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authMode: "fw2", authFailureLimit: 3 });
    const { nonce } = await challengeOf(d.address);
    const attempt = () =>
      fetch(`${d.address}/rpc`, {
        method: "POST",
        body: JSON.stringify({ id: 1, method: "Shelly.GetStatus", auth: authObject(REALM, "bad", nonce, 1) }),
      });
    expect([
      (await attempt()).status,
      (await attempt()).status,
      (await attempt()).status,
      (await attempt()).status,
    ]).toEqual([401, 401, 429, 429]);
  });

  test("Shelly.SetAuth turns auth on and off", async () => {
    const d = await device("gen2-pro4pm", { authMode: "fw2" });
    const realm = "shellypro4pm-34987a67d7d0";
    const set = await rpc(d.address, "Shelly.SetAuth", {
      user: "admin",
      realm,
      ha1: sha256(`admin:${realm}:pw`),
    });
    expect(set.result).toBeNull();
    const { nonce } = await challengeOf(d.address);
    const off = await rpc(
      d.address,
      "Shelly.SetAuth",
      { user: "admin", realm, ha1: null },
      authObject(realm, "pw", nonce, 1),
    );
    expect(off.result).toBeNull();
    expect((await getJson(`${d.address}/rpc/Shelly.GetStatus`)).status).toBe(200);
    expect((await getJson(`${d.address}/shelly`)).body.auth_en).toBe(false);
  });
});

describe("login behaviour follows the captured firmware", () => {
  /** A copy of gen2-plus1pm whose device info reports firmware `ver`. */
  function captureOn(ver: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sim-fw-"));
    for (const file of ["Shelly.GetConfig.json", "Shelly.GetStatus.json"]) {
      fs.copyFileSync(path.join(deviceDir("gen2-plus1pm"), file), path.join(dir, file));
    }
    const info = JSON.parse(
      fs.readFileSync(path.join(deviceDir("gen2-plus1pm"), "Shelly.GetDeviceInfo.json"), "utf8"),
    );
    fs.writeFileSync(
      path.join(dir, "Shelly.GetDeviceInfo.json"),
      JSON.stringify({ ...info, ver, fw_id: `20260710-101108/${ver}-g87fbfa4` }),
    );
    return dir;
  }

  test("firmware 1.x (the shipped captures): decimal unix-time nonces, no throttling", async () => {
    const d = await device("gen2-plus1pm", { password: "secret", authFailureLimit: 1 });
    const { nonce } = await challengeOf(d.address);
    expect(nonce).toMatch(/^\d{10}$/);
    const wrong = () =>
      fetch(`${d.address}/rpc`, {
        method: "POST",
        body: JSON.stringify({ id: 1, method: "Shelly.GetStatus", auth: authObject(REALM, "bad", nonce, 1) }),
      });
    expect([(await wrong()).status, (await wrong()).status]).toEqual([401, 401]);
  });

  test("firmware 2.0: 64-character base64 nonces as captured (API.md 4.2)", async () => {
    const dir = captureOn("2.0.0");
    const d = await device(dir, { password: "secret" });
    fs.rmSync(dir, { recursive: true });
    const { nonce } = await challengeOf(d.address);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{64}$/);
    expect(
      (await rpc(d.address, "Shelly.GetStatus", undefined, authObject(REALM, "secret", nonce, 1))).result,
    ).toBeDefined();
  });

  test("authMode overrides the firmware", async () => {
    const fw2 = await device("gen2-plus1pm", { password: "secret", authMode: "fw2" });
    expect((await challengeOf(fw2.address)).nonce).toHaveLength(64);
    const dir = captureOn("2.0.1");
    const legacy = await device(dir, { password: "secret", authMode: "legacy" });
    fs.rmSync(dir, { recursive: true });
    expect((await challengeOf(legacy.address)).nonce).toMatch(/^\d+$/);
  });
});

describe("throttling never locks out a correct login for long (fw2)", () => {
  test("while throttled, a live nonce with the right password is served; after the quiet period a challenge comes back", async () => {
    const d = await device("gen2-plus1pm", {
      password: "secret",
      authMode: "fw2",
      authFailureLimit: 2,
      authLockoutMs: 300,
    });
    const good = (await challengeOf(d.address)).nonce;
    const bad = (await challengeOf(d.address)).nonce;
    const attempt = (auth: unknown) =>
      fetch(`${d.address}/rpc`, {
        method: "POST",
        body: JSON.stringify({ id: 1, method: "Shelly.GetStatus", auth }),
      });
    expect((await attempt(authObject(REALM, "bad", bad, 1))).status).toBe(401);
    const throttled = await attempt(authObject(REALM, "bad", bad, 2));
    expect(throttled.status).toBe(429);
    expect(await throttled.text()).toBe("Too many failed authentication attempts");
    // Without credentials: 429 too (no nonce is handed out while throttled).
    expect((await fetch(`${d.address}/rpc/Shelly.GetStatus`)).status).toBe(429);
    // Another client that holds a live nonce and the right password is served (aioshelly PR #1263).
    expect((await attempt(authObject(REALM, "secret", good, 1))).status).toBe(200);
    await sleep(400);
    const again = await fetch(`${d.address}/rpc/Shelly.GetStatus`);
    expect(again.status).toBe(401);
    const fresh = parseChallenge(again.headers.get("www-authenticate")).nonce;
    expect((await attempt(authObject(REALM, "secret", fresh, 1))).status).toBe(200);
  });
});

describe("requests before the frame is read", () => {
  test("an empty POST /rpc on a protected device is challenged (curl --digest sends one first)", async () => {
    const d = await device("gen2-pro4pm", { password: "secret" });
    const res = await fetch(`${d.address}/rpc`, { method: "POST", body: "" });
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(
      /^Digest qop="auth", realm="shellypro4pm-34987a67d7d0"/,
    );
    // Unprotected, the same request is a malformed frame (-103 inside a 200 frame).
    const open = await device("gen2-pro4pm");
    const frame = await getJson(`${open.address}/rpc`, { method: "POST", body: "" });
    expect(frame.status).toBe(200);
    expect(frame.body.error.code).toBe(-103);
  });

  test("OPTIONS /rpc/<Method> answers the CORS preflight without running the method or asking for auth", async () => {
    const d = await device("gen2-pro4pm", { password: "secret" });
    const res = await fetch(`${d.address}/rpc/Switch.Set?id=0&on=true`, {
      method: "OPTIONS",
      headers: { origin: "http://example.test", "access-control-request-method": "POST" },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("access-control-allow-methods")).toContain("POST");
    expect(res.headers.get("access-control-allow-headers")).toBe("*");
    expect(d.log.entries().at(-1)).toMatchObject({ method: "OPTIONS", kind: "read", status: 204 });
    expect(d.log.entries().at(-1)?.rpc).toBeUndefined();
    const open = await device("gen2-pro4pm");
    const before = (await getJson(`${open.address}/rpc/Switch.GetStatus?id=0`)).body.output;
    await fetch(`${open.address}/rpc/Switch.Set?id=0&on=${!before}`, { method: "OPTIONS" });
    expect((await getJson(`${open.address}/rpc/Switch.GetStatus?id=0`)).body.output).toBe(before);
  });
});

describe("Gen1 HTTP Basic", () => {
  test("a capture with auth on needs the credentials except on /shelly", async () => {
    const d = await device("gen1-dimmer2");
    const denied = await fetch(`${d.address}/settings`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get("www-authenticate")).toBe('Basic realm="Shelly"');
    expect((await fetch(`${d.address}/status`, { headers: basic("admin", "wrong") })).status).toBe(401);
    expect((await getJson(`${d.address}/status`, { headers: basic("admin", DEFAULT_PASSWORD) })).status).toBe(
      200,
    );
    expect((await getJson(`${d.address}/shelly`)).body.auth).toBe(true);
  });

  test("/settings/login turns auth on; the password is never returned", async () => {
    const d = await device("gen1-shelly1");
    const login = await getJson(`${d.address}/settings/login?enabled=1&username=boss&password=thebigone`);
    expect(login.body).toEqual({ enabled: true, unprotected: false, username: "boss" });
    expect((await fetch(`${d.address}/settings`)).status).toBe(401);
    const settings = await fetch(`${d.address}/settings`, { headers: basic("boss", "thebigone") });
    expect(await settings.text()).not.toContain("thebigone");
    expect((await getJson(`${d.address}/shelly`)).body.auth).toBe(true);
  });
});
