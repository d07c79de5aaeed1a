import { describe, expect, test, vi } from "vitest";
import {
  connect,
  Gen1Client,
  Gen2Client,
  normalizeMac,
  probe,
  ShellyMacMismatchError,
  ShellyProtocolError,
} from "../../providers/shelly/client";
import { fixture, sendJson, startServer } from "./support";

// Every exchange here is on loopback; a hang is a bug, not a slow engine.
vi.setConfig({ testTimeout: 10_000 });

/** A device that answers GET /shelly with a capture. */
function shellyServer(capture: string) {
  const body = fixture(capture);
  return startServer((request, response) =>
    request.url === "/shelly" ? sendJson(response, body) : sendJson(response, {}, 404),
  );
}

describe("probe", () => {
  test("Gen1 Shelly 1", async () => {
    const server = await shellyServer("gen1-shelly1-shelly.json");
    expect(await probe(server.host)).toMatchObject({
      host: server.host,
      generation: 1,
      type: "SHSW-1",
      model: "SHSW-1",
      mac: "34945472A643",
      authRequired: false,
      firmware: "20230913-112003/v1.14.0-gcb84623",
      name: null,
      sleepMode: false,
    });
  });

  test("Gen1 2.5 in roller mode, and a sleeping H&T", async () => {
    const roller = await probe((await shellyServer("gen1-shelly25-roller-shelly.json")).host);
    expect(roller).toMatchObject({ generation: 1, mode: "roller" });
    const ht = await probe((await shellyServer("gen1-ht-shelly.json")).host);
    expect(ht).toMatchObject({ generation: 1, sleepMode: true });
  });

  test("Gen2 Plus 2PM with the cover profile", async () => {
    const server = await shellyServer("gen2-plus2pm-cover-shelly.json");
    expect(await probe(server.host)).toMatchObject({
      generation: 2,
      id: "shellyplus2pm-30c922810da0",
      model: "SNSW-102P16EU",
      mac: "30C922810DA0",
      authRequired: false,
      firmware: "20260311-095847/1.7.5-g9979d16",
      version: "1.7.5",
      app: "Plus2PM",
      profile: "cover",
      name: "Bedroom Shutter",
    });
  });

  test("Gen4 by its gen field", async () => {
    const server = await shellyServer("gen4-mini1g4-Shelly.GetDeviceInfo.json");
    expect(await probe(server.host)).toMatchObject({
      generation: 4,
      model: "S4SW-001X8EU",
      id: "shelly1minig4-aabbccddeeff",
    });
  });

  test("an expected MAC in any notation passes; another MAC is ShellyMacMismatchError", async () => {
    const server = await shellyServer("gen1-shelly1-shelly.json");
    await expect(probe(server.host, { expectedMac: "34:94:54:72:a6:43" })).resolves.toMatchObject({
      generation: 1,
    });
    const error = await probe(server.host, { expectedMac: "aa-bb-cc-dd-ee-ff" }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ShellyMacMismatchError);
    expect((error as Error).message).toBe(
      `${server.host} GET /shelly: a different device (MAC 34945472A643) answers at ${server.host}; expected AABBCCDDEEFF`,
    );
  });

  test("an answer that is not a Shelly's is ShellyProtocolError", async () => {
    const server = await startServer((_request, response) =>
      sendJson(response, { hello: "world", mac: "AABBCCDDEEFF" }),
    );
    await expect(probe(server.host)).rejects.toBeInstanceOf(ShellyProtocolError);
  });

  test("normalizeMac", () => {
    expect(normalizeMac("aa:bb:cc:dd:ee:0f")).toBe("AABBCCDDEE0F");
    expect(normalizeMac("AABBCCDDEE")).toBeUndefined();
  });
});

describe("connect", () => {
  test("returns a Gen1Client for a Gen1 device", async () => {
    const server = await shellyServer("gen1-shelly1-shelly.json");
    const connection = await connect(server.host, { password: "x" });
    expect(connection.generation).toBe(1);
    expect(connection.client).toBeInstanceOf(Gen1Client);
  });

  test("returns a Gen2Client for a Gen2+ device", async () => {
    const server = await shellyServer("gen2-plus2pm-cover-shelly.json");
    const connection = await connect(server.host);
    expect(connection.generation).toBe(2);
    expect(connection.client).toBeInstanceOf(Gen2Client);
    expect(connection.probe.mac).toBe("30C922810DA0");
  });
});
