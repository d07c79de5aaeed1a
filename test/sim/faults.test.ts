// Fault injection, the request log, concurrency limits and AP-mode provisioning.
import { afterAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { Faults } from "../../sim/shelly/faults";
import { call, deviceDir, getJson, rpc } from "./helpers";

const started: SimDevice[] = [];
async function device(name: string, options: Parameters<typeof startDevice>[1] = {}): Promise<SimDevice> {
  const d = await startDevice(deviceDir(name), options);
  started.push(d);
  return d;
}
afterAll(() => Promise.all(started.map((d) => d.close())));

describe("faults", () => {
  test("latency delays every answer", async () => {
    const d = await device("gen2-plusi4", { faults: { latencyMs: 200 } });
    const start = performance.now();
    await fetch(`${d.address}/shelly`);
    expect(performance.now() - start).toBeGreaterThanOrEqual(195);
  });

  test("jitter adds up to jitterMs on top of the latency", () => {
    const faults = new Faults({ latencyMs: 50, jitterMs: 20 });
    const delays = Array.from({ length: 50 }, () => faults.delayMs());
    expect(Math.min(...delays)).toBeGreaterThanOrEqual(50);
    expect(Math.max(...delays)).toBeLessThan(70);
    expect(new Set(delays).size).toBeGreaterThan(1);
  });

  test("no answer: the client times out; logged as noAnswer", async () => {
    const d = await device("gen2-plusi4", { faults: { fail: "noAnswer" } });
    await expect(fetch(`${d.address}/shelly`, { signal: AbortSignal.timeout(300) })).rejects.toThrow(
      /timeout|aborted/i,
    );
    expect(d.log.entries()).toMatchObject([{ path: "/shelly", status: 0, fault: "noAnswer" }]);
  });

  test("connection reset", async () => {
    const d = await device("gen1-shelly1", { faults: { fail: "reset" } });
    const error = await fetch(`${d.address}/status`).catch((err: Error) => err);
    expect(String((error as Error & { cause?: { code?: string } }).cause?.code)).toBe("ECONNRESET");
    expect(d.log.count({ fault: "reset" })).toBe(1);
  });

  test("HTTP 500", async () => {
    const d = await device("gen1-shelly1", { faults: { fail: "http500" } });
    const res = await fetch(`${d.address}/settings`);
    expect([res.status, await res.text()]).toEqual([500, "Internal Server Error"]);
  });

  test("flaky: every Nth request fails", async () => {
    const d = await device("gen2-plusi4");
    d.faults.set({ flakyEvery: 3 });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await fetch(`${d.address}/shelly`)).status);
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500]);
  });

  test("a swapped device answers with another MAC and id", async () => {
    const d = await device("gen2-pro4pm", { faults: { mac: "AABBCC000001" } });
    const info = (await getJson(`${d.address}/shelly`)).body;
    expect([info.mac, info.id]).toEqual(["AABBCC000001", "shellypro4pm-aabbcc000001"]);
    expect((await call(d.address, "Shelly.GetStatus")).sys.mac).toBe("AABBCC000001");
    d.faults.clear();
    expect((await getJson(`${d.address}/shelly`)).body.mac).toBe("34987A67D7D0");
  });

  test("a reboot in the middle of a sequence", async () => {
    const d = await device("gen2-pro4pm", { rebootMs: 300, faults: { rebootAfterRequests: 2 } });
    await call(d.address, "Switch.SetConfig", { id: 0, config: { name: "a" } });
    await call(d.address, "Switch.SetConfig", { id: 1, config: { name: "b" } });
    await expect(call(d.address, "Switch.SetConfig", { id: 2, config: { name: "c" } })).rejects.toThrow();
    await new Promise((resolve) => d.once("booted", resolve));
    const config = await call(d.address, "Shelly.GetConfig");
    expect([config["switch:0"].name, config["switch:1"].name, config["switch:2"].name]).toEqual([
      "a",
      "b",
      null,
    ]);
  });

  test("writes refused, reads still served", async () => {
    const gen2 = await device("gen2-pro4pm", { faults: { refuseWrites: true } });
    expect((await rpc(gen2.address, "Switch.SetConfig", { id: 0, config: { name: "x" } })).error.code).toBe(
      -109,
    );
    expect((await call(gen2.address, "Switch.GetConfig", { id: 0 })).name).toBeNull();
    const gen1 = await device("gen1-shelly1", { faults: { refuseWrites: true } });
    expect((await fetch(`${gen1.address}/settings?name=x`)).status).toBe(403);
    expect((await getJson(`${gen1.address}/settings`)).body.name).toBe("1 Gen1");
  });
});

describe("request log", () => {
  test("Gen1: a request with parameters to a settings endpoint, /reboot and an OTA install are writes", async () => {
    const d = await device("gen1-shelly1");
    for (const path of [
      "/shelly",
      "/settings",
      "/settings?name=x",
      "/settings/relay/0",
      "/settings/relay/0?auto_off=5",
      "/status",
    ]) {
      await fetch(`${d.address}${path}`);
    }
    expect(d.log.entries().map((e) => [e.method, e.path, e.kind, e.status])).toEqual([
      ["GET", "/shelly", "read", 200],
      ["GET", "/settings", "read", 200],
      ["GET", "/settings", "write", 200],
      ["GET", "/settings/relay/0", "read", 200],
      ["GET", "/settings/relay/0", "write", 200],
      ["GET", "/status", "read", 200],
    ]);
    expect(d.log.count({ kind: "write" })).toBe(2);
    d.log.clear();
    expect(d.log.entries()).toEqual([]);
  });

  test("Gen2+: getters and listings are reads, everything else writes, with the RPC method and error", async () => {
    const d = await device("gen2-plus1pm");
    await call(d.address, "Shelly.GetConfig");
    await call(d.address, "Switch.SetConfig", { id: 0, config: { name: "x" } });
    await fetch(`${d.address}/rpc/Schedule.List`);
    await rpc(d.address, "KVS.Get", { key: "missing" });
    expect(d.log.entries().map((e) => [e.rpc, e.kind, e.status, e.error])).toEqual([
      ["Shelly.GetConfig", "read", 200, undefined],
      ["Switch.SetConfig", "write", 200, undefined],
      ["Schedule.List", "read", 200, undefined],
      ["KVS.Get", "read", 200, -105],
    ]);
    expect(d.log.entries()[0]?.time).toBeGreaterThan(Date.now() - 60_000);
  });
});

describe("concurrency", () => {
  test("Gen1 serves one request at a time; the others wait", async () => {
    const d = await device("gen1-shelly1", { faults: { latencyMs: 100 } });
    const start = performance.now();
    await Promise.all([1, 2, 3].map(() => fetch(`${d.address}/shelly`)));
    expect(performance.now() - start).toBeGreaterThanOrEqual(290);
    expect(d.stats.peakServing).toBe(1);
    expect(d.stats.peakInFlight).toBe(3);
  });

  test("Gen2+ serves six at once (API.md 3.1) and queues the rest", async () => {
    const d = await device("gen2-pro4pm", { faults: { latencyMs: 150 } });
    const start = performance.now();
    const statuses = await Promise.all(
      Array.from({ length: 8 }, () => fetch(`${d.address}/shelly`).then((r) => r.status)),
    );
    expect(statuses).toEqual(Array(8).fill(200));
    expect(d.stats.peakServing).toBe(6);
    expect(performance.now() - start).toBeGreaterThanOrEqual(295);
  });
});

describe("AP mode", () => {
  test("Gen1: answers at the AP address until /settings/sta, then at the station address", async () => {
    const d = await device("gen1-shelly1", { apMode: { host: "127.0.0.2" }, host: "127.0.0.1" });
    const apAddress = d.address;
    expect(apAddress).toMatch(/^http:\/\/127\.0\.0\.2:\d+$/);
    const settings = (await getJson(`${apAddress}/settings`)).body;
    expect([settings.wifi_ap.enabled, settings.wifi_sta.enabled, settings.wifi_ap.ssid]).toEqual([
      true,
      false,
      "shelly1-34945472A643",
    ]);
    const moved = new Promise<string>((resolve) => d.once("moved", resolve));
    expect((await getJson(`${apAddress}/settings/sta?enabled=1&ssid=Home&key=k`)).body.ssid).toBe("Home");
    const stationAddress = await moved;
    expect(stationAddress).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(d.address).toBe(stationAddress);
    await expect(fetch(`${apAddress}/shelly`)).rejects.toThrow();
    expect((await getJson(`${stationAddress}/settings`)).body.wifi_ap.enabled).toBe(false);
  });

  test("Gen2+: WiFi.SetConfig may lose its answer; the device then answers at the station address", async () => {
    const d = await device("gen2-pro4pm", { apMode: { host: "127.0.0.3", dropResponse: true } });
    const ap = await call(d.address, "WiFi.GetConfig");
    expect(ap.ap).toMatchObject({ enable: true, ssid: "shellypro4pm-34987A67D7D0" });
    expect(ap.sta.enable).toBe(false);
    const moved = new Promise<string>((resolve) => d.once("moved", resolve));
    await expect(
      call(d.address, "WiFi.SetConfig", { config: { sta: { ssid: "Home", pass: "k", enable: true } } }),
    ).rejects.toThrow();
    const stationAddress = await moved;
    expect((await call(stationAddress, "WiFi.GetConfig")).sta).toMatchObject({
      ssid: "Home",
      enable: true,
      is_open: false,
    });
  });
});
