// Imported first by every test of fleet discovery and status: a scan walks address ranges, and a
// test must never leave loopback. Any TCP connection to an address outside 127.0.0.0/8, any UDP
// socket bound or sending outside it, and any multicast membership are refused before a packet is
// sent AND recorded: the scanner swallows a failed probe as "nothing there", so the afterEach
// below fails the test that tried, whatever it caught. (mDNS tests talk unicast over loopback.)
import dgram from "node:dgram";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";
import { afterEach, expect } from "vitest";

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/;

/** Every refused attempt since the last check, as "tcp 10.0.0.1:80" or "udp send 224.0.0.251:5353". */
export const refusedAttempts: string[] = [];

export class LoopbackGuardError extends Error {}

function refuse(attempt: string): never {
  refusedAttempts.push(attempt);
  throw new LoopbackGuardError(`loopback guard: ${attempt} refused`);
}

const createSocket = dgram.createSocket;
// biome-ignore lint/suspicious/noExplicitAny: replaces a Node built-in whose overloads are many
(dgram as any).createSocket = (...args: any[]): dgram.Socket => {
  const socket = (createSocket as (...a: unknown[]) => dgram.Socket)(...args);
  const { bind, send, connect: connectUdp } = socket;
  // biome-ignore lint/suspicious/noExplicitAny: bind(port, address, cb) or bind({port, address}, cb)
  socket.bind = function guardedBind(this: dgram.Socket, ...a: any[]) {
    const address = typeof a[0] === "object" && a[0] !== null ? a[0].address : a[1];
    if (typeof address !== "string" || !LOOPBACK.test(address)) refuse(`udp bind ${String(address)}`);
    return bind.apply(this, a as Parameters<typeof bind>);
  } as typeof bind;
  // biome-ignore lint/suspicious/noExplicitAny: send(msg, [offset, length,] port, address, cb)
  socket.send = function guardedSend(this: dgram.Socket, ...a: any[]) {
    const [port, address] = typeof a[2] === "number" ? [a[3], a[4]] : [a[1], a[2]];
    if (typeof address !== "string" || !LOOPBACK.test(address)) refuse(`udp send ${address}:${port}`);
    return send.apply(this, a as Parameters<typeof send>);
  } as typeof send;
  // biome-ignore lint/suspicious/noExplicitAny: connect(port, address, cb)
  socket.connect = function guardedUdpConnect(this: dgram.Socket, ...a: any[]) {
    if (typeof a[1] !== "string" || !LOOPBACK.test(a[1])) refuse(`udp connect ${a[1]}:${a[0]}`);
    return connectUdp.apply(this, a as Parameters<typeof connectUdp>);
  } as typeof connectUdp;
  socket.addMembership = () => refuse("udp multicast membership");
  socket.addSourceSpecificMembership = () => refuse("udp multicast membership");
  socket.setMulticastInterface = () => refuse("udp multicast interface");
  return socket;
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
