// Every shipped capture, served by the simulator, answers exactly as captured (apart from the clock).
import * as fs from "node:fs";
import { afterAll, describe, expect, test } from "vitest";
import { DEFAULT_PASSWORD, type SimDevice, startDevice } from "../../sim";
import { basic, call, DEVICES_DIR, deviceDir, getJson, readCapture, withoutVolatile } from "./helpers";

const shipped = fs.readdirSync(DEVICES_DIR).sort();
const started: SimDevice[] = [];
afterAll(() => Promise.all(started.map((d) => d.close())));

test("the twelve required models are shipped, and the RGBW2 modes and energy meters", () => {
  expect(shipped).toEqual([
    "gen1-dimmer2",
    "gen1-ht",
    "gen1-plugs",
    "gen1-rgbw2-color",
    "gen1-rgbw2-white",
    "gen1-shelly1",
    "gen1-shelly25-relay",
    "gen1-shelly25-roller",
    "gen2-plus1pm",
    "gen2-plus2pm-cover",
    "gen2-plusht",
    "gen2-plusi4",
    "gen2-pro3em",
    "gen2-pro4pm",
    "gen2-proem50",
    "gen4-mini1g4",
  ]);
});

describe.each(shipped.filter((name) => name.startsWith("gen1-")))("Gen1 capture %s", (name) => {
  test("/shelly, /settings and /status equal the capture", async () => {
    const device = await startDevice(deviceDir(name));
    started.push(device);
    const shelly = readCapture(name, "shelly.json") as { auth: boolean };
    // The Dimmer 2 capture has auth on: the simulator then uses the documented default password.
    const headers = shelly.auth ? basic("admin", DEFAULT_PASSWORD) : {};
    expect((await getJson(`${device.address}/shelly`)).body).toEqual(shelly);
    for (const doc of ["settings", "status"]) {
      const { status, body } = await getJson(`${device.address}/${doc}`, { headers });
      expect(status).toBe(200);
      expect(withoutVolatile(body)).toEqual(withoutVolatile(readCapture(name, `${doc}.json`)));
    }
  });
});

describe.each(shipped.filter((name) => !name.startsWith("gen1-")))("Gen2+ capture %s", (name) => {
  test("/shelly, GetDeviceInfo, GetConfig and GetStatus equal the capture", async () => {
    const device = await startDevice(deviceDir(name));
    started.push(device);
    const infoFile = fs.existsSync(`${deviceDir(name)}/shelly.json`)
      ? "shelly.json"
      : "Shelly.GetDeviceInfo.json";
    const info = readCapture(name, infoFile);
    expect((await getJson(`${device.address}/shelly`)).body).toEqual(info);
    expect(await call(device.address, "Shelly.GetDeviceInfo")).toEqual(info);
    expect(await call(device.address, "Shelly.GetConfig")).toEqual(
      readCapture(name, "Shelly.GetConfig.json"),
    );
    expect(withoutVolatile(await call(device.address, "Shelly.GetStatus"))).toEqual(
      withoutVolatile(readCapture(name, "Shelly.GetStatus.json")),
    );
    if (fs.existsSync(`${deviceDir(name)}/Shelly.GetComponents.json`)) {
      // The capture was taken with dynamic_only (AIO): a device without virtual components lists none.
      expect(await call(device.address, "Shelly.GetComponents", { dynamic_only: true })).toEqual(
        readCapture(name, "Shelly.GetComponents.json"),
      );
    }
  });
});
