// Gen2+ JSON-RPC behaviour: transports, SetConfig semantics, services, reboot and firmware update.
import { afterAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { call, deviceDir, getJson, rpc, sleep } from "./helpers";

const started: SimDevice[] = [];
async function device(name: string, options: Parameters<typeof startDevice>[1] = {}): Promise<SimDevice> {
  const d = await startDevice(deviceDir(name), options);
  started.push(d);
  return d;
}
afterAll(() => Promise.all(started.map((d) => d.close())));

const cfgRev = async (address: string) => (await call(address, "Shelly.GetStatus")).sys.cfg_rev as number;

describe("transports", () => {
  test("frame, POST /rpc/<Method> and GET /rpc/<Method>?… give the same answer, any method casing", async () => {
    const d = await device("gen2-pro4pm");
    const frame = await rpc(d.address, "Switch.GetConfig", { id: 3 });
    expect(frame).toMatchObject({
      id: expect.any(Number),
      src: "shellypro4pm-34987a67d7d0",
      dst: "sim-test",
    });
    expect(frame.result.name).toBe("DC line");
    const posted = await getJson(`${d.address}/rpc/switch.getconfig`, { method: "POST", body: '{"id":3}' });
    const got = await getJson(`${d.address}/rpc/SWITCH.GetConfig?id=3`);
    expect(posted.body).toEqual(frame.result);
    expect(got.body).toEqual(frame.result);
  });

  test("GET values are raw JSON literals: an unquoted string is an error", async () => {
    const d = await device("gen2-pro4pm");
    const bad = await getJson(`${d.address}/rpc/Switch.SetConfig?id=0&config={"name":Pump}`);
    expect(bad.status).toBe(500);
    expect(bad.body.code).toBe(-103);
    const good = await getJson(
      `${d.address}/rpc/Switch.SetConfig?id=0&config=${encodeURIComponent('{"name":"Pump"}')}`,
    );
    expect(good.body).toEqual({ restart_required: false });
  });

  test("documented errors: 404 no handler, -103 missing id, -105 unknown instance", async () => {
    const d = await device("gen2-pro4pm");
    expect((await rpc(d.address, "Foo.Bar")).error).toEqual({ code: 404, message: "No handler for Foo.Bar" });
    expect((await getJson(`${d.address}/rpc/Foo.Bar`)).status).toBe(404);
    expect((await rpc(d.address, "Switch.GetConfig")).error.code).toBe(-103);
    expect((await rpc(d.address, "Switch.GetConfig", { id: 7 })).error).toEqual({
      code: -105,
      message: "Argument 'id', value 7 not found!",
    });
  });
});

describe("SetConfig", () => {
  test("a partial config is merged; cfg_rev goes up once per effective change", async () => {
    const d = await device("gen2-pro4pm");
    expect(await cfgRev(d.address)).toBe(32);
    expect(
      await call(d.address, "Switch.SetConfig", { id: 0, config: { name: "Pump", auto_off: true } }),
    ).toEqual({
      restart_required: false,
    });
    const config = await call(d.address, "Switch.GetConfig", { id: 0 });
    expect(config).toMatchObject({
      id: 0,
      name: "Pump",
      auto_off: true,
      auto_off_delay: 60,
      power_limit: 4480,
    });
    expect(await cfgRev(d.address)).toBe(33);
    expect((await call(d.address, "Sys.GetConfig")).cfg_rev).toBe(33);
    await call(d.address, "Switch.SetConfig", { id: 0, config: { name: "Pump" } });
    expect(await cfgRev(d.address)).toBe(33);
  });

  test("null clears a value; unknown keys are ignored", async () => {
    const d = await device("gen2-pro4pm");
    await call(d.address, "Switch.SetConfig", { id: 1, config: { power_limit: null, no_such_key: 1 } });
    const config = await call(d.address, "Switch.GetConfig", { id: 1 });
    expect(config.power_limit).toBeNull();
    expect(config).not.toHaveProperty("no_such_key");
  });

  test("read-only keys are rejected with -103 and nothing changes", async () => {
    const d = await device("gen2-pro4pm");
    const frame = await rpc(d.address, "Sys.SetConfig", {
      config: { device: { name: "x", mac: "000000000000" } },
    });
    expect(frame.error).toEqual({ code: -103, message: "Read-only key 'device.mac' cannot be changed" });
    expect((await call(d.address, "Sys.GetConfig")).device.name).toBe("4PM Pro");
    expect(await cfgRev(d.address)).toBe(32);
  });

  test("restart_required is reported, sticky in sys until a reboot; secrets never come back", async () => {
    const d = await device("gen2-pro4pm", { rebootMs: 100 });
    const result = await call(d.address, "MQTT.SetConfig", {
      config: { enable: true, server: "127.0.0.1:1883", user: "u", pass: "mqtt-secret" },
    });
    expect(result).toEqual({ restart_required: true });
    expect((await call(d.address, "Mqtt.GetConfig")).enable).toBe(true);
    expect((await call(d.address, "Shelly.GetStatus")).sys.restart_required).toBe(true);
    await call(d.address, "WiFi.SetConfig", { config: { sta: { ssid: "Home", pass: "wifi-secret" } } });
    for (const method of ["Shelly.GetConfig", "MQTT.GetConfig", "WiFi.GetConfig", "Shelly.GetStatus"]) {
      const text = JSON.stringify(await call(d.address, method));
      expect(text).not.toContain("mqtt-secret");
      expect(text).not.toContain("wifi-secret");
    }
    expect((await call(d.address, "WiFi.GetConfig")).sta).toMatchObject({ ssid: "Home", is_open: false });
    expect(await call(d.address, "Shelly.Reboot", { delay_ms: 0 })).toBeNull();
    await new Promise((resolve) => d.once("booted", resolve));
    expect((await call(d.address, "Shelly.GetStatus")).sys.restart_required).toBe(false);
  });
});

describe("reboot and firmware", () => {
  test("Shelly.Reboot: unreachable for the reboot time, then back with uptime reset", async () => {
    const d = await device("gen2-plusi4", { rebootMs: 400 });
    await call(d.address, "Shelly.Reboot", { delay_ms: 500 });
    expect((await call(d.address, "Shelly.GetDeviceInfo")).id).toBe("shellyplusi4-cc7b5c8aea2c");
    await sleep(650);
    await expect(fetch(`${d.address}/shelly`)).rejects.toThrow();
    await new Promise((resolve) => d.once("booted", resolve));
    expect((await call(d.address, "Shelly.GetStatus")).sys.uptime).toBe(0);
  });

  test("CheckForUpdate offers what sys.available_updates says; Update installs it", async () => {
    const d = await device("gen2-plus1pm", { rebootMs: 100 });
    const offers = await call(d.address, "Shelly.CheckForUpdate");
    expect(offers).toEqual({
      beta: { version: "1.2.0-beta1", build_id: expect.stringMatching(/^\d{8}-\d{6}\/1\.2\.0-beta1/) },
    });
    expect((await rpc(d.address, "Shelly.Update", { stage: "stable" })).error.code).toBe(-109);
    expect(await call(d.address, "Shelly.Update", { stage: "beta" })).toBeNull();
    await new Promise((resolve) => d.once("booted", resolve));
    const info = await call(d.address, "Shelly.GetDeviceInfo");
    expect(info.ver).toBe("1.2.0-beta1");
    expect(info.fw_id).toMatch(/^\d{8}-\d{6}\/1\.2\.0-beta1/);
    expect(await call(d.address, "Shelly.CheckForUpdate")).toEqual({});
  });
});

describe("services", () => {
  test("Schedule.*: ids, rev, names kept, sys.schedule_rev follows", async () => {
    const d = await device("gen2-pro4pm");
    const job = {
      name: "evening",
      enable: true,
      timespec: "0 34 17 * * SUN,MON,TUE,WED,THU,FRI,SAT",
      calls: [{ method: "Switch.Set", params: { id: 0, on: false } }],
    };
    expect(await call(d.address, "Schedule.Create", job)).toEqual({ id: 1, rev: 2 });
    expect(await call(d.address, "Schedule.Update", { id: 1, enable: false })).toEqual({ rev: 3 });
    expect(await call(d.address, "Schedule.List")).toEqual({
      jobs: [{ id: 1, ...job, enable: false }],
      rev: 3,
    });
    expect((await call(d.address, "Shelly.GetStatus")).sys.schedule_rev).toBe(3);
    expect((await rpc(d.address, "Schedule.Create", { ...job, timespec: "17 34" })).error.code).toBe(-103);
    expect((await rpc(d.address, "Schedule.Delete", { id: 9 })).error.code).toBe(-105);
    expect(await call(d.address, "Schedule.DeleteAll")).toEqual({ rev: 4 });
  });

  test("Webhook.*: names are unique, events need a component, webhook_rev follows", async () => {
    const d = await device("gen2-pro4pm");
    const hook = {
      cid: 2,
      enable: true,
      event: "switch.on",
      name: "notify",
      urls: ["http://127.0.0.1:9/on"],
    };
    expect(await call(d.address, "Webhook.Create", hook)).toEqual({ id: 1, rev: 1 });
    expect((await rpc(d.address, "Webhook.Create", hook)).error.code).toBe(-106);
    expect((await rpc(d.address, "Webhook.Create", { ...hook, name: "x", cid: 9 })).error.code).toBe(-103);
    const list = await call(d.address, "Webhook.List");
    expect(list.rev).toBe(1);
    expect(list.hooks).toEqual([{ id: 1, ssl_ca: "ca.pem", ...hook }]);
    expect(await call(d.address, "Webhook.Delete", { id: 1 })).toEqual({ rev: 2 });
    expect((await call(d.address, "Shelly.GetStatus")).sys.webhook_rev).toBe(2);
  });

  test("KVS.* with etags and kvs_rev", async () => {
    const d = await device("gen2-plus1pm");
    const set = await call(d.address, "KVS.Set", { key: "site", value: "home" });
    expect(set.rev).toBe(5);
    expect(await call(d.address, "KVS.Get", { key: "site" })).toEqual({ etag: set.etag, value: "home" });
    expect((await rpc(d.address, "KVS.Set", { key: "site", value: "x", etag: "stale" })).error.code).toBe(
      -109,
    );
    expect(await call(d.address, "KVS.List", { match: "s*" })).toEqual({
      keys: { site: { etag: set.etag } },
      rev: 5,
    });
    expect(await call(d.address, "KVS.Delete", { key: "site" })).toEqual({ rev: 6 });
    expect((await rpc(d.address, "KVS.Get", { key: "site" })).error.code).toBe(-105);
  });

  test("Script.*: code put and read in chunks", async () => {
    const d = await device("gen2-plus1pm");
    expect(await call(d.address, "Script.Create", { name: "blink" })).toEqual({ id: 2 });
    expect(await call(d.address, "Script.PutCode", { id: 2, code: "let a = 1;" })).toEqual({ len: 10 });
    expect(await call(d.address, "Script.PutCode", { id: 2, code: " print(a);", append: true })).toEqual({
      len: 20,
    });
    expect(await call(d.address, "Script.GetCode", { id: 2, offset: 4, len: 6 })).toEqual({
      data: "a = 1;",
      left: 10,
    });
    expect(await call(d.address, "Script.SetConfig", { id: 2, config: { enable: true } })).toEqual({
      restart_required: false,
    });
    const { scripts } = await call(d.address, "Script.List");
    expect(scripts).toEqual([
      { id: 1, name: "aioshelly_ble_integration", enable: false, running: false },
      { id: 2, name: "blink", enable: true, running: false },
    ]);
  });

  test("ListMethods is derived from the components when the capture has none", async () => {
    const d = await device("gen2-plus2pm-cover");
    const { methods } = await call(d.address, "Shelly.ListMethods");
    expect(methods).toEqual(
      expect.arrayContaining(["Cover.GetConfig", "Cover.Open", "Input.SetConfig", "Schedule.Create"]),
    );
    expect(methods).not.toContain("Switch.Set");
  });
});
