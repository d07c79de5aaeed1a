// Imported first by every independent-client test: the clients know discovery (CoAP multicast, mDNS),
// and a test must never leave loopback. Any UDP socket, and any TCP connection to an address outside
// 127.0.0.0/8, throws before a packet is sent.
import dgram from "node:dgram";
import { syncBuiltinESMExports } from "node:module";
import net from "node:net";

export class NetworkGuardError extends Error {}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost)$/;

// biome-ignore lint/suspicious/noExplicitAny: replaces a Node built-in whose overloads are many
(dgram as any).createSocket = (): never => {
  throw new NetworkGuardError("network guard: UDP sockets are not allowed in client tests");
};

const connect = net.Socket.prototype.connect;
// biome-ignore lint/suspicious/noExplicitAny: connect takes (options | port | path, …) in many forms
net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: any[]) {
  // net.connect() passes its normalized arguments as one array.
  const given = Array.isArray(args[0]) ? args[0] : args;
  const first = given[0];
  const host: unknown =
    typeof first === "object" && first !== null
      ? (first.host ?? (first.path !== undefined ? undefined : "localhost"))
      : typeof first === "number" || /^\d+$/.test(String(first))
        ? typeof given[1] === "string"
          ? given[1]
          : "localhost"
        : undefined;
  if (typeof host !== "string" || !LOOPBACK.test(host)) {
    throw new NetworkGuardError(`network guard: TCP connection to ${String(host)} refused (loopback only)`);
  }
  return connect.apply(this, args as Parameters<typeof connect>);
} as typeof connect;

// ES-module importers of node:dgram see the replacement too.
syncBuiltinESMExports();
