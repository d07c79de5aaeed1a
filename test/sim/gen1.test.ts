// Gen1 writes: query string or form, parameter names that differ from attributes, updated documents back.
import { afterAll, describe, expect, test } from "vitest";
import { type SimDevice, startDevice } from "../../sim";
import { deviceDir, getJson } from "./helpers";

const started: SimDevice[] = [];
async function device(name: string, options: Parameters<typeof startDevice>[1] = {}): Promise<SimDevice> {
  const d = await startDevice(deviceDir(name), options);
  started.push(d);
  return d;
}
afterAll(() => Promise.all(started.map((d) => d.close())));

const changes = async (address: string) =>
  (await getJson(`${address}/status`)).body.cfg_changed_cnt as number;

describe("Gen1 writes", () => {
  test("/settings maps parameters to attributes, ignores unknown ones and returns the updated document", async () => {
    const d = await device("gen1-shelly1");
    const { status, body } = await getJson(
      `${d.address}/settings?name=Kitchen&mqtt_enable=true&mqtt_server=127.0.0.1:1883&coiot_enable=0&sntp_server=pool&bogus=1`,
    );
    expect(status).toBe(200);
    expect(body.name).toBe("Kitchen");
    expect(body.mqtt).toMatchObject({ enable: true, server: "127.0.0.1:1883" });
    expect(body.coiot.enabled).toBe(false);
    expect(body.sntp.server).toBe("pool");
    expect(body).not.toHaveProperty("bogus");
    expect(await changes(d.address)).toBe(1);
    expect((await getJson(`${d.address}/settings`)).body).toEqual(
      expect.objectContaining({ name: "Kitchen" }),
    );
  });

  test("parameters also come as a form body; an unchanged value does not count as a change", async () => {
    const d = await device("gen1-plugs");
    const body = new URLSearchParams({ led_power_disable: "1", mqtt_pass: "hidden-pass" });
    const res = await getJson(`${d.address}/settings`, { method: "POST", body });
    expect(res.body.led_power_disable).toBe(true);
    expect(JSON.stringify(res.body)).not.toContain("hidden-pass");
    await getJson(`${d.address}/settings?led_power_disable=1`);
    expect(await changes(d.address)).toBe(1);
  });

  test("a malformed number is a 400 with a text body", async () => {
    const d = await device("gen1-shelly1");
    const res = await fetch(`${d.address}/settings?tz_utc_offset=east`);
    expect(res.status).toBe(400);
    expect(res.headers.get("content-type")).toBe("text/plain");
    expect(await res.text()).toBe("Bad value for tz_utc_offset: east");
  });

  test("/settings/sta: netmask → mask, gateway → gw, the key is never returned, the AP goes off", async () => {
    const d = await device("gen1-shelly25-relay");
    const res = await getJson(
      `${d.address}/settings/sta?enabled=1&ssid=Home&key=wifi-key&ipv4_method=static&ip=10.0.0.9&netmask=255.255.255.0&gateway=10.0.0.1&dns=10.0.0.1`,
    );
    expect(res.body).toEqual({
      enabled: true,
      ssid: "Home",
      ipv4_method: "static",
      ip: "10.0.0.9",
      gw: "10.0.0.1",
      mask: "255.255.255.0",
      dns: "10.0.0.1",
    });
    const settings = await fetch(`${d.address}/settings`).then((r) => r.text());
    expect(settings).not.toContain("wifi-key");
    expect(JSON.parse(settings).wifi_ap.enabled).toBe(false);
  });

  test("/settings/relay/N and /settings/roller/N return the channel; rollers take btn_type as button_type", async () => {
    const relay = await device("gen1-shelly1");
    const lamp = await getJson(
      `${relay.address}/settings/relay/0?name=Lamp&auto_off=30&schedule_rules=0800-0123456-on,2000-0123456-off&ison=true`,
    );
    expect(lamp.body).toMatchObject({
      name: "Lamp",
      auto_off: 30,
      ison: false,
      schedule_rules: ["0800-0123456-on", "2000-0123456-off"],
    });
    expect((await fetch(`${relay.address}/settings/relay/1`)).status).toBe(404);

    const roller = await device("gen1-shelly25-roller");
    const cover = await getJson(`${roller.address}/settings/roller/0?btn_type=toggle&maxtime_open=25`);
    expect(cover.body).toMatchObject({ button_type: "toggle", maxtime_open: 25 });
    expect(cover.body).not.toHaveProperty("btn_type");
  });

  test("/settings/light/N on the Dimmer 2", async () => {
    const d = await device("gen1-dimmer2", { password: "pw" });
    const auth = { authorization: `Basic ${Buffer.from("admin:pw").toString("base64")}` };
    const res = await getJson(`${d.address}/settings/light/0?name=Hall&default_state=on`, { headers: auth });
    expect(res.body).toMatchObject({ name: "Hall", default_state: "on" });
  });

  test("/settings/actions keeps URLs per action and channel; /settings shows only the summary", async () => {
    const d = await device("gen1-shelly1");
    const res = await getJson(
      `${d.address}/settings/actions?index=0&name=out_on_url&enabled=true&urls[]=http://127.0.0.1/on`,
    );
    expect(res.body.actions.out_on_url).toEqual([{ index: 0, urls: ["http://127.0.0.1/on"], enabled: true }]);
    expect(res.body.actions.report_url).toHaveLength(3);
    expect((await getJson(`${d.address}/settings`)).body.actions.active).toBe(true);
  });

  test("/settings/cloud and /ota", async () => {
    const d = await device("gen1-plugs", { rebootMs: 100 });
    expect((await getJson(`${d.address}/settings/cloud?enabled=0`)).body).toEqual({ enabled: false });
    d.protocol.offerUpdate({ stable: "20240101-000000/v1.14.1-gsim" });
    const ota = await getJson(`${d.address}/ota?update=true`);
    expect(ota.body).toMatchObject({
      status: "updating",
      has_update: true,
      new_version: "20240101-000000/v1.14.1-gsim",
    });
    await new Promise((resolve) => d.once("booted", resolve));
    expect((await getJson(`${d.address}/shelly`)).body.fw).toBe("20240101-000000/v1.14.1-gsim");
    expect((await getJson(`${d.address}/ota`)).body).toMatchObject({ status: "idle", has_update: false });
  });

  test("/reboot answers {} and the device is unreachable until it is back", async () => {
    const d = await device("gen1-ht", { rebootMs: 300 });
    expect((await getJson(`${d.address}/reboot`)).body).toEqual({});
    await expect(fetch(`${d.address}/shelly`)).rejects.toThrow();
    await new Promise((resolve) => d.once("booted", resolve));
    expect((await getJson(`${d.address}/status`)).body.uptime).toBe(0);
  });

  test("an unknown path is a 404", async () => {
    const d = await device("gen1-shelly1");
    expect((await fetch(`${d.address}/settings/mqtt`)).status).toBe(404);
  });
});
