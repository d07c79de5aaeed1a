// Imported first by every test of fleet discovery and status: a scan walks address ranges, and a
// test must never leave loopback. Any TCP connection to an address outside 127.0.0.0/8, and any
// UDP socket, is refused before a packet is sent AND recorded: the scanner swallows a failed probe
// as "nothing there", so the afterEach below fails the test that tried, whatever it caught.
import dgram from "node:dgram";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { afterEach, expect } from "vitest";

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/;

/** Every refused attempt since the last check, as "tcp 10.0.0.1:80" or "udp". */
export const refusedAttempts: string[] = [];

export class LoopbackGuardError extends Error {}

// biome-ignore lint/suspicious/noExplicitAny: replaces a Node built-in whose overloads are many
(dgram as any).createSocket = (): never => {
  refusedAttempts.push("udp");
  throw new LoopbackGuardError("loopback guard: UDP sockets are not allowed in these tests");
};

const connect = net.Socket.prototype.connect;
// biome-ignore lint/suspicious/noExplicitAny: connect takes (options | port | path, …) in many forms
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: any[]) {
  const given = Array.isArray(args[0]) ? args[0] : args;
  const first = given[0];
  const host: unknown =
    typeof first === "object" && first !== null
      ? (first.host ?? (first.path !== undefined ? "unix" : "localhost"))
      : typeof first === "number" || /^\d+$/.test(String(first))
        ? typeof given[1] === "string"
          ? given[1]
          : "localhost"
        : undefined;
  if (host !== "unix" && (typeof host !== "string" || !LOOPBACK.test(host))) {
    const port = typeof first === "object" && first !== null ? first.port : first;
    refusedAttempts.push(`tcp ${String(host)}:${String(port)}`);
    throw new LoopbackGuardError(`loopback guard: TCP connection to ${String(host)} refused`);
  }
  return connect.apply(this, args as Parameters<typeof connect>);
} as typeof connect;

syncBuiltinESMExports();

afterEach(() => {
  const attempts = refusedAttempts.splice(0);
  expect(attempts, "the test tried to leave loopback").toEqual([]);
});
