// discover --mdns: the query and the handling of answers, over unicast UDP on loopback only. A
// stand-in responder on 127.0.0.1 answers as Shelly devices (and a printer) do on a LAN; the
// browser asks it directly instead of the multicast group. Nothing joins a multicast group or sends
// to 224.0.0.251 here: the loopback guard refuses (and fails the test on) any membership and any
// datagram or connection that would leave 127.0.0.0/8. A network namespace was not used: the
// whole suite would have to run inside it.
import "../support/loopback-guard";
import * as dgram from "node:dgram";
import * as path from "node:path";
import type { Answer, Question } from "dns-packet";
import makeMdns from "multicast-dns";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { scanAddresses } from "../../cli/discovery";
import { browseMdns, mdnsTargets } from "../../cli/mdns";
import { type SimDevice, startDevice } from "../../sim";
import { CAPTURES_DIR } from "../support/captures";
import { refusedAttempts } from "../support/loopback-guard";

const CAPTURES = ["gen2-plus1pm", "gen1-shelly1", "gen4-mini1g4"];
const macOf = (i: number) => `02AD00${i.toString(16).toUpperCase().padStart(6, "0")}`;

describe("discover --mdns over unicast loopback", () => {
  const devices: SimDevice[] = [];
  let port: number;
  let responder: ReturnType<typeof makeMdns>;
  let responderPort: number;
  const questions: Question[][] = [];

  beforeAll(async () => {
    for (const [i, capture] of CAPTURES.entries()) {
      const device = await startDevice(path.join(CAPTURES_DIR, capture), {
        host: `127.79.0.${i + 1}`,
        port: port ?? 0,
        mac: macOf(i),
      });
      port ??= Number(new URL(device.address).port);
      devices.push(device);
    }
    const socket = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", () => resolve()));
    responderPort = socket.address().port;
    responder = makeMdns({ socket, bind: false, multicast: false });
    const srv = (instance: string, target: string, p: number): Answer => ({
      name: instance,
      type: "SRV",
      data: { target, port: p, priority: 0, weight: 0 },
    });
    const a = (name: string, address: string): Answer => ({ name, type: "A", data: address });
    responder.on("query", (query, rinfo) => {
      questions.push(query.questions);
      // Answers the way devices do: PTR for the service, SRV and A as additionals.
      responder.respond(
        {
          answers: [
            { name: "_shelly._tcp.local", type: "PTR", data: "ShellyPlus1PM-A._shelly._tcp.local" },
            { name: "_http._tcp.local", type: "PTR", data: "ShellyPlus1PM-A._http._tcp.local" },
            { name: "_http._tcp.local", type: "PTR", data: "shelly1-B._http._tcp.local" },
            { name: "_shelly._tcp.local", type: "PTR", data: "ShellyMini1G4-C._shelly._tcp.local" },
            { name: "_http._tcp.local", type: "PTR", data: "Office Printer._http._tcp.local" },
            { name: "_shelly._tcp.local", type: "PTR", data: "ShellyPro4PM-D._shelly._tcp.local" },
          ],
          additionals: [
            srv("ShellyPlus1PM-A._shelly._tcp.local", "shellyplus1pm-a.local", port),
            srv("ShellyPlus1PM-A._http._tcp.local", "shellyplus1pm-a.local", port),
            srv("shelly1-B._http._tcp.local", "shelly1-b.local", port),
            srv("ShellyMini1G4-C._shelly._tcp.local", "shellymini1g4-c.local", port),
            srv("Office Printer._http._tcp.local", "printer.local", 631),
            srv("ShellyPro4PM-D._shelly._tcp.local", "shellypro4pm-d.local", 80),
            a("shellyplus1pm-a.local", "127.79.0.1"),
            a("shelly1-b.local", "127.79.0.2"),
            a("shellymini1g4-c.local", "127.79.0.3"),
            a("printer.local", "127.79.0.9"),
            // Another network's device: never probed without --outside-site.
            a("shellypro4pm-d.local", "192.0.2.10"),
          ],
        },
        { address: rinfo.address, port: rinfo.port },
      );
    });
  });

  afterAll(async () => {
    await new Promise<void>((resolve) => (responder ? responder.destroy(() => resolve()) : resolve()));
    await Promise.all(devices.map((d) => d.close()));
  });

  test("asks for both services; keeps Shelly names only; the probe identifies each", async () => {
    const answered = await browseMdns({
      timeoutMs: 300,
      unicastTo: { address: "127.0.0.1", port: responderPort },
    });
    expect(questions.at(-1)).toEqual([
      { name: "_shelly._tcp.local", type: "PTR", class: "IN" },
      { name: "_http._tcp.local", type: "PTR", class: "IN" },
    ]);
    // One per address and port (A answered on both services); the printer is not a Shelly.
    expect(answered).toEqual([
      { name: "ShellyPlus1PM-A", address: "127.79.0.1", port },
      { name: "shelly1-B", address: "127.79.0.2", port },
      { name: "ShellyMini1G4-C", address: "127.79.0.3", port },
      { name: "ShellyPro4PM-D", address: "192.0.2.10", port: 80 },
    ]);

    const targets = mdnsTargets(answered, {
      subnets: ["127.79.0.0/24"],
      outsideSite: false,
      probed: new Set([`127.79.0.3:${port}`]),
    });
    // Already probed by the range scan: not again. Outside the subnets: skipped, not probed.
    expect([...targets.byPort]).toEqual([[port, ["127.79.0.1", "127.79.0.2"]]]);
    expect(targets.skipped.map((d) => d.address)).toEqual(["192.0.2.10"]);
    const found = await scanAddresses(targets.byPort.get(port) ?? [], {
      port,
      concurrency: 4,
      timeoutMs: 2000,
    });
    expect(found.map((f) => [f.mac, f.generation])).toEqual([
      [macOf(0), 2],
      [macOf(1), 1],
    ]);
  });

  test("no answer: nothing found, and the browser's socket is closed", async () => {
    const silent = dgram.createSocket("udp4");
    await new Promise<void>((resolve) => silent.bind(0, "127.0.0.1", () => resolve()));
    const answered = await browseMdns({
      timeoutMs: 100,
      unicastTo: { address: "127.0.0.1", port: silent.address().port },
    });
    silent.close();
    expect(answered).toEqual([]);
  });

  test("unicast mDNS is refused off loopback; the guard refuses multicast membership", async () => {
    await expect(
      browseMdns({ timeoutMs: 10, unicastTo: { address: "192.0.2.1", port: 5353 } }),
    ).rejects.toThrow("unicast mDNS is for loopback tests only");
    const socket = dgram.createSocket("udp4");
    expect(() => socket.addMembership("224.0.0.251")).toThrow("loopback guard");
    socket.close();
    expect(refusedAttempts.splice(0)).toEqual(["udp multicast membership"]);
  });
});
