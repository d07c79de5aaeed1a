import { createHash } from "node:crypto";
import { describe, expect, test, vi } from "vitest";
import {
  Gen2Client,
  type Gen2ClientOptions,
  ShellyAuthError,
  ShellyConnectionError,
  ShellyHttpError,
  ShellyRpcError,
  ShellyTimeoutError,
} from "../../providers/shelly/client";
import {
  closedPort,
  delay,
  FakeGen2Device,
  fixture,
  RpcFault,
  type RpcFrame,
  reset,
  sendJson,
  startServer,
} from "./support";

// Every exchange here is on loopback; a hang is a bug, not a slow engine.
vi.setConfig({ testTimeout: 10_000 });

const ID = "shellyplus1pm-aabbccddeeff";
const status = fixture<{ sys: { cfg_rev: number } }>("gen2-plus1pm-Shelly.GetStatus.json");
const config = fixture<{ sys: { cfg_rev: number } }>("gen2-plus1pm-Shelly.GetConfig.json");
const fast: Gen2ClientOptions = { timeoutMs: 2_000, retryDelayMs: 5, rateLimitDelayMs: 20 };

const methods = {
  "Shelly.GetStatus": () => status,
  "Sys.GetStatus": () => status.sys,
  "Shelly.GetConfig": () => config,
  "Switch.SetConfig": () => ({ restart_required: false }),
  "Cover.Close": () => null,
};

async function device(options: Partial<ConstructorParameters<typeof FakeGen2Device>[0]> = {}) {
  const fake = new FakeGen2Device({ id: ID, methods, ...options });
  const server = await startServer(fake.handler);
  return { fake, server };
}

describe("Gen2Client calls", () => {
  test("sends one JSON-RPC frame with id, src, method and params, returns the result", async () => {
    const { fake, server } = await device();
    const client = new Gen2Client(server.host, fast);
    await expect(client.setConfig("Switch", 0, { name: "Pump" })).resolves.toEqual({
      restart_required: false,
    });
    expect(server.requests[0]?.headers["content-type"]).toBe("application/json");
    expect(fake.frames).toEqual([
      {
        id: expect.any(Number),
        src: "shelly-fleet",
        method: "Switch.SetConfig",
        params: { id: 0, config: { name: "Pump" } },
      },
    ]);
  });

  test("a null result is a success", async () => {
    const { server } = await device();
    await expect(new Gen2Client(server.host, fast).call("Cover.Close", { id: 0 })).resolves.toBeNull();
  });

  test("an RPC error frame becomes ShellyRpcError with its code, naming host and method", async () => {
    const captured = fixture<{ error: { code: number; message: string } }>(
      "gen2-doc-rpc-error-103-response-frame.json",
    );
    const { server } = await device({
      methods: {
        "Switch.GetStatus": () => {
          throw new RpcFault(captured.error.code, captured.error.message);
        },
      },
    });
    const error = await new Gen2Client(server.host, fast).getStatus("Switch").catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyRpcError);
    expect(error).toMatchObject({
      code: -103,
      rpcMessage: "Missing required 'id'",
      host: server.host,
      call: "Switch.GetStatus",
    });
    expect((error as Error).message).toBe(
      `${server.host} Switch.GetStatus: RPC error -103: Missing required 'id'`,
    );
  });
});

describe("Gen2Client wrappers", () => {
  test("send the wire method names with the documented params", async () => {
    const fake = new FakeGen2Device({ id: ID, methods: {} });
    const server = await startServer((request, response) => {
      const frame = JSON.parse(request.body) as RpcFrame;
      fake.frames.push(frame);
      sendJson(response, { id: frame.id, src: ID, result: { rev: 7 } });
    });
    const client = new Gen2Client(server.host, fast);
    const job = {
      enable: true,
      timespec: "0 34 17 * * SUN",
      calls: [{ method: "Switch.Set", params: { id: 0, on: false } }],
    };
    const hook = { cid: 0, enable: true, event: "switch.on", name: "lamp", urls: ["http://10.0.0.2/on"] };
    await client.scheduleCreate(job);
    await client.scheduleUpdate({ id: 1, enable: false });
    await client.scheduleDelete(1);
    await client.webhookCreate(hook);
    await client.webhookUpdate({ id: 2, urls: [] });
    await client.webhookDelete(2);
    await client.getConfig("WiFi");
    await client.shellyReboot(3500);
    await client.shellyUpdate({ stage: "stable" });
    await client.shellySetProfile("cover");
    await client.kvsSet("k", { a: 1 });
    expect(fake.frames.map(({ method, params }) => ({ method, params }))).toEqual([
      { method: "Schedule.Create", params: job },
      { method: "Schedule.Update", params: { id: 1, enable: false } },
      { method: "Schedule.Delete", params: { id: 1 } },
      { method: "Webhook.Create", params: hook },
      { method: "Webhook.Update", params: { id: 2, urls: [] } },
      { method: "Webhook.Delete", params: { id: 2 } },
      { method: "WiFi.GetConfig", params: undefined },
      { method: "Shelly.Reboot", params: { delay_ms: 3500 } },
      { method: "Shelly.Update", params: { stage: "stable" } },
      { method: "Shelly.SetProfile", params: { name: "cover" } },
      { method: "KVS.Set", params: { key: "k", value: { a: 1 } } },
    ]);
  });
});

describe("Gen2Client digest authentication", () => {
  test("one challenge, then the nonce is reused with nc 1, 2, 3", async () => {
    const { fake, server } = await device({ password: "tango" });
    const client = new Gen2Client(server.host, { ...fast, password: "tango" });
    await client.shellyGetStatus();
    await client.sysGetStatus();
    await client.shellyGetConfig();
    expect(fake.challenges).toHaveLength(1);
    expect(fake.frames.map((f) => f.auth?.nc)).toEqual([undefined, 1, 2, 3]);
    const nonces = new Set(fake.frames.slice(1).map((f) => String(f.auth?.nonce)));
    expect(nonces).toEqual(new Set([fake.challenges[0]?.nonce]));
  });

  test("a stale nonce costs one re-authentication, with nc back at 1", async () => {
    const { fake, server } = await device({ password: "tango", nonceStyle: "opaque", maxUsesPerNonce: 2 });
    const client = new Gen2Client(server.host, { ...fast, password: "tango" });
    for (let i = 0; i < 3; i++) await client.sysGetStatus();
    expect(fake.challenges.map((c) => c.stale)).toEqual([false, true]);
    expect(fake.frames.map((f) => f.auth?.nc)).toEqual([undefined, 1, 2, 3, 1]);
    expect(fake.frames[4]?.auth?.nonce).toBe(fake.challenges[1]?.nonce);
  });

  test("a wrong password is ShellyAuthError naming the host, without the password, after one retry", async () => {
    const { server } = await device({ password: "tango" });
    const error = await new Gen2Client(server.host, { ...fast, password: "s3cret-Pw" })
      .shellyGetConfig()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyAuthError);
    expect((error as Error).message).toContain(server.host);
    expect((error as Error).message).toContain("Shelly.GetConfig");
    expect(JSON.stringify(error)).not.toContain("s3cret-Pw");
    expect((error as Error).message).not.toContain("s3cret-Pw");
    expect(server.requests).toHaveLength(2);
  });

  test("no password on a protected device is ShellyAuthError after one request", async () => {
    const { server } = await device({ password: "tango" });
    await expect(new Gen2Client(server.host, fast).shellyGetStatus()).rejects.toThrow(
      /authentication required and no password given/,
    );
    expect(server.requests).toHaveLength(1);
  });

  test("Shelly.SetAuth sends ha1, never the password, and the client then uses the new password", async () => {
    const { fake, server } = await device({
      methods: {
        ...methods,
        "Shelly.SetAuth": (params) => {
          fake.password = params.ha1 === null ? undefined : "n3w-pass";
          return null;
        },
      },
    });
    const client = new Gen2Client(server.host, fast);
    await client.shellySetAuth(ID, "n3w-pass");
    expect(fake.frames[0]?.params).toEqual({
      user: "admin",
      realm: ID,
      ha1: createHash("sha256").update(`admin:${ID}:n3w-pass`).digest("hex"),
    });
    expect(server.requests[0]?.body).not.toContain("n3w-pass");
    await expect(client.sysGetStatus()).resolves.toMatchObject({ cfg_rev: 35 });
    expect(fake.challenges).toHaveLength(1);
  });
});

describe("Gen2Client 429 backoff", () => {
  test("backs off and resends, even a write, since the device executed nothing", async () => {
    let refusals = 2;
    const server = await startServer((request, response) => {
      if (refusals-- > 0) return sendJson(response, {}, 429);
      const frame = JSON.parse(request.body) as RpcFrame;
      sendJson(response, { id: frame.id, src: ID, result: { restart_required: true } });
    });
    const started = Date.now();
    const result = await new Gen2Client(server.host, fast).sysSetConfig({ device: { name: "x" } });
    expect(result).toEqual({ restart_required: true });
    expect(server.requests).toHaveLength(3);
    // 20 ms, then 40 ms.
    expect(Date.now() - started).toBeGreaterThanOrEqual(55);
  });

  test("gives up with ShellyHttpError 429 after the bounded retries", async () => {
    const server = await startServer((_request, response) => sendJson(response, {}, 429));
    const error = await new Gen2Client(server.host, { ...fast, rateLimitRetries: 1 })
      .sysGetStatus()
      .catch((e) => e);
    expect(error).toBeInstanceOf(ShellyHttpError);
    expect(error).toMatchObject({ status: 429 });
    expect(server.requests).toHaveLength(2);
  });

  test("drops the nonce on 429 and authenticates afresh", async () => {
    const fake = new FakeGen2Device({ id: ID, methods, password: "tango" });
    let throttle = false;
    const server = await startServer((request, response) => {
      if (throttle) {
        throttle = false;
        return sendJson(response, {}, 429);
      }
      return fake.handler(request, response);
    });
    const client = new Gen2Client(server.host, { ...fast, password: "tango" });
    await client.sysGetStatus();
    throttle = true;
    await client.sysGetStatus();
    expect(fake.challenges).toHaveLength(2);
    expect(fake.frames.map((f) => f.auth?.nc)).toEqual([undefined, 1, undefined, 1]);
  });
});

describe("Gen2Client failures and retries", () => {
  test("a device that never answers is ShellyTimeoutError; a read is retried once", async () => {
    const server = await startServer(() => undefined);
    const client = new Gen2Client(server.host, { ...fast, timeoutMs: 100 });
    const error = await client.shellyGetConfig().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyTimeoutError);
    expect((error as Error).message).toBe(`${server.host} Shelly.GetConfig: no answer within 100 ms`);
    expect(server.requests).toHaveLength(2);
  });

  test("a write that times out is not sent again", async () => {
    const server = await startServer(() => undefined);
    const client = new Gen2Client(server.host, { ...fast, timeoutMs: 100 });
    await expect(client.setConfig("Switch", 0, { name: "x" })).rejects.toBeInstanceOf(ShellyTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  test("a reset connection is ShellyConnectionError; reads retried up to the bound, writes never", async () => {
    const server = await startServer((_request, response) => reset(response));
    const client = new Gen2Client(server.host, { ...fast, readRetries: 2 });
    await expect(client.shellyGetStatus()).rejects.toBeInstanceOf(ShellyConnectionError);
    expect(server.requests).toHaveLength(3);
    await expect(client.shellyReboot()).rejects.toBeInstanceOf(ShellyConnectionError);
    expect(server.requests).toHaveLength(4);
  });

  test("a read that fails once succeeds on its retry", async () => {
    let resets = 1;
    const fake = new FakeGen2Device({ id: ID, methods });
    const server = await startServer((request, response) =>
      resets-- > 0 ? reset(response) : fake.handler(request, response),
    );
    await expect(new Gen2Client(server.host, fast).sysGetStatus()).resolves.toMatchObject({ cfg_rev: 35 });
    expect(server.requests).toHaveLength(2);
  });

  test("connection refused is ShellyConnectionError naming the host", async () => {
    const host = await closedPort();
    const error = await new Gen2Client(host, { ...fast, readRetries: 0 })
      .sysGetStatus()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyConnectionError);
    expect((error as Error).message).toMatch(
      new RegExp(`^${host} Sys.GetStatus: connection failed \\(ECONNREFUSED\\)`),
    );
  });
});

describe("Gen2Client readConfigIfChanged", () => {
  test("an unchanged cfg_rev costs one Sys.GetStatus and no Shelly.GetConfig", async () => {
    const { fake, server } = await device();
    const result = await new Gen2Client(server.host, fast).readConfigIfChanged(35);
    expect(result).toMatchObject({ changed: false, cfgRev: 35 });
    expect(fake.frames.map((f) => f.method)).toEqual(["Sys.GetStatus"]);
  });

  test("a different cfg_rev fetches the config, and reports the config's own cfg_rev", async () => {
    const { fake, server } = await device({
      methods: { ...methods, "Shelly.GetConfig": () => ({ ...config, sys: { ...config.sys, cfg_rev: 36 } }) },
    });
    const result = await new Gen2Client(server.host, fast).readConfigIfChanged(30);
    expect(result.changed).toBe(true);
    expect(result.cfgRev).toBe(36);
    if (result.changed) expect(Object.keys(result.config)).toContain("switch:0");
    expect(fake.frames.map((f) => f.method)).toEqual(["Sys.GetStatus", "Shelly.GetConfig"]);
  });
});

describe("Gen2Client concurrency", () => {
  async function maxConcurrency(options: Gen2ClientOptions, password?: string) {
    const fake = new FakeGen2Device({ id: ID, methods, password });
    const server = await startServer(async (request, response) => {
      await delay(30);
      return fake.handler(request, response);
    });
    const client = new Gen2Client(server.host, { ...fast, ...options });
    await Promise.all(Array.from({ length: 6 }, () => client.sysGetStatus()));
    return server.maxConcurrent;
  }

  test("at most 3 requests in flight per device without auth", async () => {
    expect(await maxConcurrency({})).toBe(3);
  });

  test("one in flight with auth, so nc reaches the device in order", async () => {
    expect(await maxConcurrency({ password: "tango" }, "tango")).toBe(1);
  });
});
