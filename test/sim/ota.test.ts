// OTA in the simulator, per generation (API.md 6): the download takes time while the device answers
// on its old firmware, then it reboots into the new one; failures chosen through the control API.
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, test } from "vitest";
import { Fleet, type SimDevice, startControlServer, startDevice } from "../../sim";
import { call, deviceDir, getJson, rpc, sleep } from "./helpers";

const started: { close(): Promise<void> }[] = [];
async function device(name: string, options: Parameters<typeof startDevice>[1] = {}): Promise<SimDevice> {
  const d = await startDevice(deviceDir(name), { rebootMs: 100, ...options });
  started.push(d);
  return d;
}
afterAll(() => Promise.all(started.map((d) => d.close())));

const booted = (d: SimDevice) => new Promise((resolve) => d.once("booted", resolve));
const gen2Version = async (d: SimDevice) => (await getJson(`${d.address}/shelly`)).body.ver as string;

/** Serves `body` at every path on 127.0.0.1; its URL. */
async function imageServer(body: string): Promise<string> {
  const server = http.createServer((_req, res) => res.end(body));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  started.push({ close: () => new Promise<void>((resolve) => server.close(() => resolve())) });
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe("Gen2+ Shelly.Update", () => {
  test("answers at once, keeps answering on the old version while it downloads, then reboots into the new one", async () => {
    const d = await device("gen2-plus1pm");
    d.protocol.ota.behaviour = { downloadMs: 400 };
    d.protocol.offerUpdate({ stable: "1.3.0" });
    const before = await gen2Version(d);
    expect(await call(d.address, "Shelly.Update", { stage: "stable" })).toBeNull();
    expect(d.protocol.ota.state.phase).toBe("downloading");
    await sleep(150);
    expect(await gen2Version(d)).toBe(before);
    expect((await rpc(d.address, "Shelly.Update", { stage: "stable" })).error).toMatchObject({ code: -109 });
    await booted(d);
    const info = await call(d.address, "Shelly.GetDeviceInfo");
    expect(info.ver).toBe("1.3.0");
    expect(info.fw_id).toMatch(/^\d{8}-\d{6}\/1\.3\.0-gsim$/);
    expect(await call(d.address, "Shelly.CheckForUpdate")).not.toHaveProperty("stable");
    expect(d.protocol.ota.state.last).toEqual({ target: "1.3.0", outcome: "installed" });
  });

  test("bad image and interrupted download: no reboot, old version, the offer stands", async () => {
    for (const failure of ["bad-image", "interrupted"] as const) {
      const d = await device("gen2-plus1pm");
      d.protocol.ota.behaviour = { downloadMs: 200, failure };
      d.protocol.offerUpdate({ stable: "1.3.0" });
      const before = await gen2Version(d);
      let rebooted = false;
      d.once("booted", () => {
        rebooted = true;
      });
      await call(d.address, "Shelly.Update", { stage: "stable" });
      await sleep(400);
      expect(rebooted).toBe(false);
      expect(await gen2Version(d)).toBe(before);
      expect(d.protocol.ota.state).toMatchObject({ phase: "idle", last: { outcome: failure } });
      expect((await call(d.address, "Shelly.CheckForUpdate")).stable.version).toBe("1.3.0");
    }
  });

  test("old-version: reboots and comes back on the old firmware", async () => {
    const d = await device("gen2-plus1pm");
    d.protocol.ota.behaviour = { downloadMs: 50, failure: "old-version" };
    d.protocol.offerUpdate({ stable: "1.3.0" });
    const before = await gen2Version(d);
    await call(d.address, "Shelly.Update", { stage: "stable" });
    await booted(d);
    expect(await gen2Version(d)).toBe(before);
  });

  test("no-return: down until the control API reboots it, then on the old firmware", async () => {
    const d = await device("gen2-plus1pm");
    const control = await startControlServer(new Fleet([d]));
    started.push(control);
    const put = await fetch(`${control.url}/devices/${d.id}/ota`, {
      method: "PUT",
      body: JSON.stringify({ downloadMs: 50, failure: "no-return" }),
    });
    expect(await put.json()).toMatchObject({ downloadMs: 50, failure: "no-return", phase: "idle" });
    const bad = await fetch(`${control.url}/devices/${d.id}/ota`, {
      method: "PUT",
      body: JSON.stringify({ failure: "melts" }),
    });
    expect(bad.status).toBe(400);
    d.protocol.offerUpdate({ stable: "1.3.0" });
    const before = await gen2Version(d);
    await call(d.address, "Shelly.Update", { stage: "stable" });
    await sleep(400);
    await expect(fetch(`${d.address}/shelly`)).rejects.toThrow();
    await fetch(`${control.url}/devices/${d.id}/reboot`, { method: "POST" });
    await booted(d);
    expect(await gen2Version(d)).toBe(before);
  });

  test("{url}: downloads the image from a loopback server; an image for another model is refused", async () => {
    const d = await device("gen2-plus1pm");
    d.protocol.ota.behaviour = { downloadMs: 50 };
    const model = d.identity.model;
    const good = await imageServer(`shelly-sim-firmware ${model} 1.4.1\n`);
    await call(d.address, "Shelly.Update", { url: `${good}/${model}/1.4.1.zip` });
    await booted(d);
    expect(await gen2Version(d)).toBe("1.4.1");
    const other = await imageServer("shelly-sim-firmware SHSW-1 1.9.9\n");
    await call(d.address, "Shelly.Update", { url: `${other}/x.zip` });
    await sleep(300);
    expect(d.protocol.ota.state.last).toMatchObject({ outcome: "bad-image" });
    expect(await gen2Version(d)).toBe("1.4.1");
  });

  test("progress shows as NotifyEvent ota_begin, ota_progress, ota_success", async () => {
    const d = await device("gen2-plus1pm");
    d.protocol.ota.behaviour = { downloadMs: 50 };
    d.protocol.offerUpdate({ stable: "1.3.0" });
    const events: string[] = [];
    d.protocol.notifications?.on("notify", (method, params) => {
      if (method !== "NotifyEvent") return;
      for (const e of params.events as { event: string }[]) events.push(e.event);
    });
    await call(d.address, "Shelly.Update", { stage: "stable" });
    await booted(d);
    expect(events.filter((e) => e.startsWith("ota_"))).toEqual([
      "ota_begin",
      "ota_progress",
      "ota_progress",
      "ota_success",
    ]);
  });
});

describe("Gen1 /ota", () => {
  test("update=true: status updating during the download, then the new fw after the reboot", async () => {
    const d = await device("gen1-shelly1");
    d.protocol.ota.behaviour = { downloadMs: 300 };
    d.protocol.offerUpdate({ stable: "20240101-000000/v1.14.1-gsim" });
    const answer = await getJson(`${d.address}/ota?update=true`);
    expect(answer.body).toMatchObject({ status: "updating", has_update: true });
    await sleep(100);
    expect((await getJson(`${d.address}/ota`)).body.status).toBe("updating");
    await booted(d);
    expect((await getJson(`${d.address}/shelly`)).body.fw).toBe("20240101-000000/v1.14.1-gsim");
    expect((await getJson(`${d.address}/ota`)).body).toMatchObject({ status: "idle", has_update: false });
  });

  test("bad image: back to idle on the old fw, the offer stands", async () => {
    const d = await device("gen1-shelly1");
    d.protocol.ota.behaviour = { downloadMs: 100, failure: "bad-image" };
    d.protocol.offerUpdate({ stable: "20240101-000000/v1.14.1-gsim" });
    const before = (await getJson(`${d.address}/shelly`)).body.fw;
    await getJson(`${d.address}/ota?update=true`);
    await sleep(300);
    expect((await getJson(`${d.address}/shelly`)).body.fw).toBe(before);
    expect((await getJson(`${d.address}/ota`)).body).toMatchObject({ status: "idle", has_update: true });
  });

  test("url=: the image's version, in the build-id form", async () => {
    const d = await device("gen1-shelly1");
    d.protocol.ota.behaviour = { downloadMs: 50 };
    const url = await imageServer(`shelly-sim-firmware ${d.identity.model} 1.14.2\n`);
    await getJson(`${d.address}/ota?url=${encodeURIComponent(`${url}/img.zip`)}`);
    await booted(d);
    expect((await getJson(`${d.address}/shelly`)).body.fw).toMatch(/^\d{8}-\d{6}\/v1\.14\.2-gsim$/);
  });
});
