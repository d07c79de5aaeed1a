import { describe, expect, test, vi } from "vitest";
import {
  Gen1Client,
  type Gen1ClientOptions,
  ShellyAuthError,
  ShellyConnectionError,
  ShellyHttpError,
  ShellyTimeoutError,
} from "../../providers/shelly/client";
import { delay, fixture, type RecordedRequest, reset, sendJson, startServer } from "./support";

// Every exchange here is on loopback; a hang is a bug, not a slow engine.
vi.setConfig({ testTimeout: 10_000 });

const settings = fixture("gen1-shelly1-settings.json");
const actions = fixture("gen1-doc-settings-actions.json");
const fast: Gen1ClientOptions = { timeoutMs: 2_000, retryDelayMs: 5 };

/** Answers every path with the settings capture, or the actions capture for /settings/actions. */
async function gen1Device(check: (request: RecordedRequest) => number = () => 200) {
  return startServer((request, response) => {
    const status = check(request);
    if (status !== 200) {
      response.writeHead(status, { "content-type": "text/plain" });
      return response.end(status === 401 ? "401 Unauthorized" : "Bad timezone");
    }
    sendJson(response, request.url.startsWith("/settings/actions") ? actions : settings);
  });
}

describe("Gen1Client parameter encoding", () => {
  test("actions: booleans as true/false, urls[] repeated and percent-encoded", async () => {
    const server = await gen1Device();
    const result = await new Gen1Client(server.host, fast).setSettingsActions({
      index: 0,
      name: "out_on_url",
      enabled: true,
      urls: ["http://192.168.1.4/on?x=1&y=2", "http://192.168.1.5/on"],
    });
    expect(result.actions.out_on_url?.[0]?.urls).toEqual(["http://192.168.1.4/on", "http://192.168.1.5/on"]);
    expect(server.requests[0]?.method).toBe("GET");
    expect(server.requests[0]?.url).toBe(
      "/settings/actions?index=0&name=out_on_url&enabled=true" +
        "&urls[]=http%3A%2F%2F192.168.1.4%2Fon%3Fx%3D1%26y%3D2&urls[]=http%3A%2F%2F192.168.1.5%2Fon",
    );
  });

  test("an empty list clears (urls[]=), null sends an empty value, false is false", async () => {
    const server = await gen1Device();
    const client = new Gen1Client(server.host, fast);
    await client.setSettingsActions({ index: 1, name: "btn_on_url", enabled: false, urls: [] });
    await client.setSettingsSta({ enabled: true, ssid: "Castle & Co", ipv4_method: "dhcp", ip: null });
    expect(server.requests.map((r) => r.url)).toEqual([
      "/settings/actions?index=1&name=btn_on_url&enabled=false&urls[]=",
      "/settings/sta?enabled=true&ssid=Castle%20%26%20Co&ipv4_method=dhcp&ip=",
    ]);
  });

  test("each setter targets its endpoint", async () => {
    const server = await gen1Device();
    const client = new Gen1Client(server.host, fast);
    await client.setSettings({ name: "Porch" });
    await client.setSettingsRelay(0, { default_state: "last" });
    await client.setSettingsRoller(1, { maxtime: 20 });
    await client.setSettingsLight(0, { transition: 500 });
    await client.setSettingsSta1({ enabled: false });
    await client.setSettingsAp({ enabled: false });
    await client.setSettingsCloud({ enabled: false });
    await client.ota({ update: true });
    await client.otaCheck();
    await client.reboot();
    expect(server.requests.map((r) => r.url)).toEqual([
      "/settings?name=Porch",
      "/settings/relay/0?default_state=last",
      "/settings/roller/1?maxtime=20",
      "/settings/light/0?transition=500",
      "/settings/sta1?enabled=false",
      "/settings/ap?enabled=false",
      "/settings/cloud?enabled=false",
      "/ota?update=true",
      "/ota/check",
      "/reboot",
    ]);
  });

  test("call() writes any endpoint once, and retries it only when marked idempotent", async () => {
    const server = await startServer((_request, response) => reset(response));
    const client = new Gen1Client(server.host, fast);
    await expect(client.call("/settings/white/0", { brightness: 40 })).rejects.toBeInstanceOf(
      ShellyConnectionError,
    );
    expect(server.requests.map((r) => r.url)).toEqual(["/settings/white/0?brightness=40"]);
    await expect(client.call("/settings/white/0", {}, { idempotent: true })).rejects.toBeInstanceOf(
      ShellyConnectionError,
    );
    expect(server.requests).toHaveLength(3);
  });
});

describe("Gen1Client HTTP Basic auth", () => {
  const expected = `Basic ${Buffer.from("admin:s3cret").toString("base64")}`;
  const protectedDevice = () =>
    gen1Device((request) =>
      request.headers.authorization === expected || request.url === "/shelly" ? 200 : 401,
    );

  test("sends Basic credentials", async () => {
    const server = await protectedDevice();
    await expect(
      new Gen1Client(server.host, { ...fast, password: "s3cret" }).getSettings(),
    ).resolves.toMatchObject({
      name: settings.name,
    });
    expect(server.requests[0]?.headers.authorization).toBe(expected);
  });

  test("a wrong password is ShellyAuthError naming the host, without the password, not retried", async () => {
    const server = await protectedDevice();
    const error = await new Gen1Client(server.host, { ...fast, password: "wr0ng-pw" })
      .getSettings()
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyAuthError);
    expect((error as Error).message).toBe(`${server.host} GET /settings: credentials rejected`);
    expect(JSON.stringify(error)).not.toContain("wr0ng-pw");
    expect(server.requests).toHaveLength(1);
  });

  test("after /settings/login the client uses the new credentials", async () => {
    let accepted = "";
    const server = await gen1Device((request) =>
      request.url.startsWith("/settings/login") || request.headers.authorization === accepted ? 200 : 401,
    );
    const client = new Gen1Client(server.host, fast);
    await client.setSettingsLogin({ enabled: true, username: "boss", password: "n3w" });
    accepted = `Basic ${Buffer.from("boss:n3w").toString("base64")}`;
    await expect(client.getStatus()).resolves.toBeDefined();
  });
});

describe("Gen1Client failures", () => {
  test("a 4xx with a text/plain reason is ShellyHttpError without the query", async () => {
    const server = await gen1Device(() => 400);
    const error = await new Gen1Client(server.host, fast)
      .setSettingsSta({ ssid: "x", key: "wifi-key-123" })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyHttpError);
    expect(error).toMatchObject({ status: 400, body: "Bad timezone" });
    expect((error as Error).message).toBe(`${server.host} GET /settings/sta: HTTP 400: Bad timezone`);
  });

  test("reads are retried up to the bound after a reset, writes never", async () => {
    const server = await startServer((_request, response) => reset(response));
    const client = new Gen1Client(server.host, { ...fast, readRetries: 2 });
    await expect(client.getSettings()).rejects.toBeInstanceOf(ShellyConnectionError);
    expect(server.requests).toHaveLength(3);
    await expect(client.setSettings({ name: "x" })).rejects.toBeInstanceOf(ShellyConnectionError);
    await expect(client.reboot()).rejects.toBeInstanceOf(ShellyConnectionError);
    expect(server.requests).toHaveLength(5);
  });

  test("a write that times out is ShellyTimeoutError and is not resent", async () => {
    const server = await startServer(() => undefined);
    const client = new Gen1Client(server.host, { ...fast, timeoutMs: 100 });
    await expect(client.setSettingsRelay(0, { auto_off: 10 })).rejects.toBeInstanceOf(ShellyTimeoutError);
    expect(server.requests).toHaveLength(1);
  });

  test("a read that fails once succeeds on its retry", async () => {
    let resets = 1;
    const server = await startServer((_request, response) =>
      resets-- > 0 ? reset(response) : sendJson(response, settings),
    );
    await expect(new Gen1Client(server.host, fast).getSettings()).resolves.toMatchObject({
      name: settings.name,
    });
    expect(server.requests).toHaveLength(2);
  });
});

describe("Gen1Client concurrency", () => {
  test("one request in flight per device, also across two clients of the same device", async () => {
    const server = await startServer(async (_request, response) => {
      await delay(20);
      sendJson(response, settings);
    });
    const first = new Gen1Client(server.host, fast);
    const second = new Gen1Client(server.host, fast);
    await Promise.all([
      first.getSettings(),
      first.getStatus(),
      first.setSettings({ name: "a" }),
      second.getSettings(),
      second.getSettingsActions(),
    ]);
    expect(server.requests).toHaveLength(5);
    expect(server.maxConcurrent).toBe(1);
  });
});
