// The control API: one loopback HTTP server per simulator process (endpoints: sim/README.md).
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { Fleet } from "./fleet";
import { assertLoopback, type SimDevice } from "./shelly/device";
import { parseFaultSpec } from "./shelly/faults";
import { parseOtaBehaviour } from "./shelly/ota";

class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface ControlServer {
  /** Base URL, e.g. http://127.0.0.1:40000; a device's endpoints are under /devices/<id>. */
  url: string;
  close(): Promise<void>;
}

export async function startControlServer(
  fleet: Fleet,
  options: { host?: string; port?: number } = {},
): Promise<ControlServer> {
  const host = options.host ?? "127.0.0.1";
  assertLoopback(host, "control server");
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      let status = 200;
      let body: unknown;
      try {
        body = route(
          fleet,
          req.method ?? "GET",
          new URL(req.url ?? "/", "http://control").pathname,
          Buffer.concat(chunks).toString("utf8"),
        );
      } catch (err) {
        status = err instanceof ControlError ? err.status : 400;
        body = { error: (err as Error).message };
      }
      res
        .writeHead(status, { "content-type": "application/json", connection: "close" })
        .end(JSON.stringify(body ?? null));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://${host}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function parseBody(text: string): unknown {
  try {
    return text.trim() === "" ? {} : JSON.parse(text);
  } catch (err) {
    throw new ControlError(400, `malformed JSON body: ${(err as Error).message}`);
  }
}

function summary(device: SimDevice): Record<string, unknown> {
  return {
    ...device.describe(),
    down: device.isDown,
    apMode: device.inApMode,
    asleep: device.isAsleep,
    faults: device.faults.current,
    stats: device.stats,
  };
}

/** A device that does not sleep has no wake or sleep: 409. */
function wakeOrRefuse(action: () => unknown): void {
  try {
    action();
  } catch (err) {
    throw new ControlError(409, (err as Error).message);
  }
}

function route(fleet: Fleet, method: string, pathname: string, body: string): unknown {
  if (pathname === "/devices" && method === "GET") return fleet.devices.map(summary);
  const match = /^\/devices\/([^/]+)(?:\/(log|faults|drift|reboot|firmware|ota|wake|sleep))?$/.exec(pathname);
  if (!match) throw new ControlError(404, `no such endpoint: ${method} ${pathname}`);
  const id = decodeURIComponent(match[1] as string);
  const device = fleet.byId(id);
  if (!device) throw new ControlError(404, `no device with id ${id}`);
  const action = `${method} ${match[2] ?? ""}`;
  switch (action) {
    case "GET ":
      return summary(device);
    case "GET log":
      return device.log.entries();
    case "DELETE log":
      device.log.clear();
      return null;
    case "GET faults":
      return device.faults.current;
    case "PUT faults":
      device.faults.set(parseFaultSpec(parseBody(body), "faults"));
      return device.faults.current;
    case "POST drift":
      device.protocol.drift(parseBody(body));
      return null;
    case "POST reboot":
      device.reboot(0);
      return null;
    case "POST wake": {
      const { awakeMs } = parseBody(body) as { awakeMs?: unknown };
      if (awakeMs !== undefined && (typeof awakeMs !== "number" || !(awakeMs > 0)))
        throw new ControlError(400, "awakeMs must be a positive number of milliseconds");
      wakeOrRefuse(() => device.wake(awakeMs as number | undefined));
      return summary(device);
    }
    case "POST sleep":
      wakeOrRefuse(() => device.sleep());
      return summary(device);
    case "GET ota":
      return { ...device.protocol.ota.behaviour, ...device.protocol.ota.state };
    case "PUT ota":
      device.protocol.ota.behaviour = parseOtaBehaviour(parseBody(body), device.protocol.ota.behaviour);
      return { ...device.protocol.ota.behaviour, ...device.protocol.ota.state };
    case "POST firmware": {
      const offer = parseBody(body) as { stable?: unknown; beta?: unknown };
      for (const stage of ["stable", "beta"] as const) {
        if (offer[stage] !== undefined && typeof offer[stage] !== "string")
          throw new ControlError(400, `${stage} must be a version string`);
      }
      device.protocol.offerUpdate(offer as { stable?: string; beta?: string });
      return null;
    }
  }
  throw new ControlError(405, `${method} is not allowed on ${pathname}`);
}
