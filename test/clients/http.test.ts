import { describe, expect, test, vi } from "vitest";
import {
  Gen1Client,
  Gen2Client,
  RequestGate,
  type RetryEvent,
  ShellyTimeoutError,
} from "../../providers/shelly/client";
import { delay, fixture, reset, sendJson, startServer } from "./support";

// Every exchange here is on loopback; a hang is a bug, not a slow engine.
vi.setConfig({ testTimeout: 10_000 });

const settings = fixture("gen1-shelly1-settings.json");

describe("transport", () => {
  test("a read answered HTTP 500 once is retried; a write is not", async () => {
    let requests = 0;
    const server = await startServer((_request, response) => {
      requests++;
      if (requests % 2 === 1) sendJson(response, { error: "busy" }, 500);
      else sendJson(response, settings);
    });
    const client = new Gen1Client(server.host, { retryDelayMs: 1 });
    await expect(client.getSettings()).resolves.toMatchObject({ name: settings.name });
    expect(requests).toBe(2);
    await expect(client.setSettings({ name: "x" })).rejects.toMatchObject({ status: 500 });
    expect(requests).toBe(3);
  });

  test("a global gate bounds requests across devices", async () => {
    let concurrent = 0;
    let maxConcurrent = 0;
    const slowDevice = () =>
      startServer(async (_request, response) => {
        maxConcurrent = Math.max(maxConcurrent, ++concurrent);
        await delay(20);
        concurrent--;
        sendJson(response, settings);
      });
    const [a, b, c] = await Promise.all([slowDevice(), slowDevice(), slowDevice()]);
    const gate = new RequestGate(2);
    const clients = [a, b, c].map((server) => new Gen1Client(server.host, { gate }));
    await Promise.all(clients.flatMap((client) => [client.getSettings(), client.getStatus()]));
    expect(maxConcurrent).toBe(2);
  });

  test("headers sent but the body stalls: ShellyTimeoutError", async () => {
    const server = await startServer((_request, response) => {
      response.writeHead(200, { "content-type": "application/json" });
      response.write('{"id":1,');
    });
    const client = new Gen2Client(server.host, { timeoutMs: 150, readRetries: 0 });
    await expect(client.sysGetStatus()).rejects.toBeInstanceOf(ShellyTimeoutError);
  });

  test("each retry is reported with attempt n of N and its backoff", async () => {
    const server = await startServer((_request, response) => reset(response));
    const events: RetryEvent[] = [];
    const client = new Gen1Client(server.host, {
      readRetries: 2,
      retryDelayMs: 5,
      onRetry: (event) => events.push(event),
    });
    await expect(client.getStatus()).rejects.toThrow();
    expect(
      events.map(({ call, attempt, maxAttempts, delayMs }) => ({ call, attempt, maxAttempts, delayMs })),
    ).toEqual([
      { call: "GET /status", attempt: 1, maxAttempts: 3, delayMs: 5 },
      { call: "GET /status", attempt: 2, maxAttempts: 3, delayMs: 10 },
    ]);
  });
});
