// What the DhcpReservation and FirewallAlias resources do at each step of their Pulumi lifecycle,
// as plain functions over plain objects: no Pulumi import here (providers/opnsense/provider.ts is
// the thin adapter). check and diff are pure; read returns the live values so refresh shows drift
// field by field; create adopts an existing object with the same natural key (MAC, alias name)
// instead of adding a duplicate; every write goes through the ApplyCoordinator (backup first, one
// reconfigure per service, rollback on failure).
import * as fs from "node:fs";
import {
  ApplyCoordinator,
  type Change,
  DEFAULT_APPLY_OPTIONS,
  type Decision,
  OpnsenseApplyError,
} from "./apply";
import { type DhcpService, OpnsenseClient, OpnsenseError } from "./client";
import {
  type AliasSpec,
  aliasFailures,
  canonicalMac,
  type Failure,
  isIPv4,
  type ReservationSpec,
  reservationFailures,
} from "./model";

/** The unknown-value sentinel the engine sends during previews (rpc.unknownValue). */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export interface DhcpReservationInputs extends ReservationSpec {
  providerVersion: number;
}

export interface DhcpReservationOutputs extends DhcpReservationInputs {
  /** The OPNsense uuid (also the resource id). */
  uuid: string;
  /** The config backup taken before the apply that last wrote this reservation. */
  backup?: string;
}

export interface FirewallAliasInputs extends AliasSpec {
  providerVersion: number;
}

export interface FirewallAliasOutputs extends FirewallAliasInputs {
  uuid: string;
  backup?: string;
}

// ---------------------------------------------------------------------------------------------
// configure: the connection comes from stack config, never from the state.

interface Settings {
  url?: string;
  key?: string;
  secret?: string;
  caFile?: string;
}

let settings: Settings = {};
let client: OpnsenseClient | undefined;
let coordinator = new ApplyCoordinator(opnsense);

/** Called once per provider with the whole stack config (decrypted). */
export function configure(get: (key: string) => string | undefined): void {
  settings = {
    url: get("shelly-fleet:opnsense.url"),
    key: get("shelly-fleet:opnsense.key"),
    secret: get("shelly-fleet:opnsense.secret"),
    caFile: get("shelly-fleet:opnsense.caFile"),
  };
  client = undefined;
  const backupDir = get("shelly-fleet:opnsense.backupDir");
  // One coordinator per process: every resource of the apply shares its backup and batches.
  if (backupDir && backupDir !== coordinator.options.backupDir) {
    coordinator = new ApplyCoordinator(opnsense, { ...DEFAULT_APPLY_OPTIONS, backupDir });
  }
}

function opnsense(): OpnsenseClient {
  if (client) return client;
  const missing = (["url", "key", "secret"] as const).filter((k) => !settings[k]);
  if (missing.length > 0) {
    throw new Error(
      `OPNsense: stack config ${missing.map((k) => `shelly-fleet:opnsense.${k}`).join(", ")} is not set (the secret with --secret)`,
    );
  }
  let ca: string | undefined;
  if (settings.caFile) {
    try {
      ca = fs.readFileSync(settings.caFile, "utf8");
    } catch (error) {
      throw new Error(
        `OPNsense: opnsense.caFile ${settings.caFile}: ${(error as NodeJS.ErrnoException).code ?? error}`,
      );
    }
  }
  client = new OpnsenseClient({
    url: settings.url as string,
    key: settings.key as string,
    secret: settings.secret as string,
    ...(ca !== undefined && { ca }),
  });
  return client;
}

/** The client's errors already name the firewall and the call; this adds the object. */
function failWith(object: string, error: unknown): never {
  if (error instanceof OpnsenseApplyError) throw new Error(`${object}: ${error.message}`);
  if (error instanceof OpnsenseError) throw new Error(`${object}: ${error.message}`);
  throw error;
}

const known = (value: unknown) => value !== UNKNOWN;

// ---------------------------------------------------------------------------------------------
// check and diff: pure and fast.

export function checkReservation(news: DhcpReservationInputs): Failure[] {
  return reservationFailures(
    Object.fromEntries(Object.entries(news).filter(([, value]) => known(value))) as Partial<ReservationSpec>,
  );
}

export function checkAlias(news: FirewallAliasInputs): Failure[] {
  if (!known(news.content) || (news.content ?? []).some((ip) => !known(ip))) {
    return aliasFailures({ name: news.name });
  }
  return aliasFailures(news);
}

export function diffReservation(olds: DhcpReservationOutputs, news: DhcpReservationInputs) {
  const replaces = (["backend", "mac", "subnet"] as const).filter((key) => olds[key] !== news[key]);
  const changes =
    replaces.length > 0 ||
    (["ip", "hostname", "description", "device", "providerVersion"] as const).some(
      (key) => olds[key] !== news[key],
    );
  return { changes, replaces, deleteBeforeReplace: false };
}

export function diffAlias(olds: FirewallAliasOutputs, news: FirewallAliasInputs) {
  const replaces = olds.name !== news.name ? ["name"] : [];
  const changes =
    replaces.length > 0 ||
    olds.description !== news.description ||
    olds.providerVersion !== news.providerVersion ||
    JSON.stringify(olds.content) !== JSON.stringify(news.content) ||
    JSON.stringify(olds.members) !== JSON.stringify(news.members);
  return { changes, replaces, deleteBeforeReplace: false };
}

// ---------------------------------------------------------------------------------------------
// DHCP reservations: Kea reservations or dnsmasq DHCP hosts, behind one shape.

interface LiveReservation {
  uuid: string;
  /** As stored, to rewrite a MAC OPNsense kept in another spelling. */
  storedMac: string;
  ip: string;
  hostname: string;
  description: string;
}

interface ReservationBackend {
  /** The reservations of the spec's subnet (Kea) or of the firewall (dnsmasq). */
  list(): Promise<LiveReservation[]>;
  matches(live: LiveReservation, mac: string): boolean;
  put(spec: ReservationSpec, uuid?: string): Promise<string>;
  restore(before: LiveReservation): Promise<void>;
  remove(uuid: string): Promise<void>;
}

async function reservationBackend(
  spec: ReservationSpec,
  requireSubnet: boolean,
): Promise<ReservationBackend> {
  const api = opnsense();
  if (spec.backend === "dnsmasq") {
    const hosts = async () =>
      (await api.dnsmasqHosts()).map((host) => ({
        uuid: host.uuid,
        storedMac: host.macs.join(","),
        ip: host.ips.find(isIPv4) ?? "",
        hostname: host.hostname,
        description: host.description,
      }));
    const fields = (r: { ip: string; hostname: string; description: string }, mac: string) => ({
      hostname: r.hostname,
      ips: r.ip ? [r.ip] : [],
      macs: mac.split(",").filter((m) => m !== ""),
      description: r.description,
    });
    return {
      list: hosts,
      matches: (live, mac) => live.storedMac.split(",").some((m) => canonicalMac(m) === mac),
      put: (s, uuid) => api.putDnsmasqHost(fields(s, s.mac), uuid),
      restore: async (before) => {
        await api.putDnsmasqHost(fields(before, before.storedMac), before.uuid);
      },
      remove: (uuid) => api.deleteDnsmasqHost(uuid),
    };
  }
  const subnet = (await api.keaSubnets()).find((s) => s.subnet === spec.subnet)?.uuid;
  if (!subnet && requireSubnet) {
    throw new Error(
      `OPNsense has no Kea subnet ${spec.subnet}: add it under Services > Kea DHCP > Kea DHCPv4 > Subnets, or fix the site's subnet`,
    );
  }
  const fields = (r: { ip: string; hostname: string; description: string }, mac: string) => ({
    subnet: subnet ?? "",
    ip: r.ip,
    mac,
    hostname: r.hostname,
    description: r.description,
  });
  return {
    list: async () =>
      (await api.keaReservations())
        .filter((r) => r.subnet === subnet)
        .map((r) => ({
          uuid: r.uuid,
          storedMac: r.mac,
          ip: r.ip,
          hostname: r.hostname,
          description: r.description,
        })),
    matches: (live, mac) => canonicalMac(live.storedMac) === mac,
    put: (s, uuid) => api.putKeaReservation(fields(s, s.mac), uuid),
    restore: async (before) => {
      await api.putKeaReservation(fields(before, before.storedMac), before.uuid);
    },
    remove: (uuid) => api.deleteKeaReservation(uuid),
  };
}

const label = (spec: ReservationSpec) => `${spec.backend} reservation of ${spec.device} (${spec.mac})`;

/** Ours by uuid while it still holds our MAC, else whichever holds our MAC (recreated or adopted). */
function findReservation(
  all: LiveReservation[],
  backend: ReservationBackend,
  spec: ReservationSpec,
  id?: string,
) {
  return (
    all.find((r) => r.uuid === id && backend.matches(r, spec.mac)) ??
    all.find((r) => backend.matches(r, spec.mac))
  );
}

/** The reservation as OPNsense has it now; undefined when it is gone. Network errors throw. */
export async function readReservation(
  id: string,
  props: DhcpReservationOutputs,
): Promise<DhcpReservationOutputs | undefined> {
  try {
    const backend = await reservationBackend(props, false);
    const live = findReservation(await backend.list(), backend, props, id);
    if (!live) return undefined;
    return { ...props, uuid: live.uuid, ip: live.ip, hostname: live.hostname, description: live.description };
  } catch (error) {
    failWith(label(props), error);
  }
}

/** Adopts the reservation with this MAC (rewriting what differs) or adds one; create and update. */
export async function applyReservation(
  inputs: DhcpReservationInputs,
  id?: string,
): Promise<DhcpReservationOutputs> {
  const failures = reservationFailures(inputs);
  if (failures.length > 0) {
    throw new Error(`${label(inputs)}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`);
  }
  const service: DhcpService = inputs.backend;
  try {
    const { value: uuid, backup } = await coordinator.change(service, async (): Promise<Decision<string>> => {
      const backend = await reservationBackend(inputs, true);
      const live = findReservation(await backend.list(), backend, inputs, id);
      if (
        live &&
        live.storedMac === inputs.mac &&
        live.ip === inputs.ip &&
        live.hostname === inputs.hostname &&
        live.description === inputs.description
      ) {
        return { value: live.uuid };
      }
      return {
        write: async () => {
          if (live) {
            await backend.put(inputs, live.uuid);
            const change: Change = {
              description: `restored the ${label(inputs)} to ${live.ip} / ${live.hostname || "no host name"}`,
              undo: () => backend.restore(live),
            };
            return { value: live.uuid, change };
          }
          const created = await backend.put(inputs);
          const change: Change = {
            description: `deleted the ${label(inputs)} it had added`,
            undo: () => backend.remove(created),
          };
          return { value: created, change };
        },
      };
    });
    return { ...inputs, uuid, ...(backup !== undefined && { backup }) };
  } catch (error) {
    failWith(label(inputs), error);
  }
}

export async function deleteReservation(id: string, props: DhcpReservationOutputs): Promise<void> {
  try {
    await coordinator.change(props.backend, async (): Promise<Decision<void>> => {
      const backend = await reservationBackend(props, false);
      const live = findReservation(await backend.list(), backend, props, id);
      if (!live) return { value: undefined };
      return {
        write: async () => {
          await backend.remove(live.uuid);
          // set_<x>/<uuid> is an upsert: the undo recreates it with the same uuid.
          return {
            value: undefined,
            change: { description: `recreated the ${label(props)}`, undo: () => backend.restore(live) },
          };
        },
      };
    });
  } catch (error) {
    failWith(label(props), error);
  }
}

// ---------------------------------------------------------------------------------------------
// Firewall aliases: `host` aliases holding the member devices' IPs.

const aliasLabel = (name: string) => `firewall alias ${name}`;

/** IPs in numeric order, anything else after them: the order is not OPNsense's concern. */
export function sortContent(content: string[]): string[] {
  const key = (item: string) =>
    isIPv4(item)
      ? item
          .split(".")
          .map((octet) => octet.padStart(3, "0"))
          .join(".")
      : `~${item}`;
  return [...content].sort((a, b) => key(a).localeCompare(key(b)));
}

async function liveAlias(name: string) {
  const api = opnsense();
  const uuid = await api.aliasUuid(name);
  return uuid === undefined ? undefined : api.alias(uuid);
}

export async function readAlias(
  _id: string,
  props: FirewallAliasOutputs,
): Promise<FirewallAliasOutputs | undefined> {
  try {
    const live = await liveAlias(props.name);
    if (!live) return undefined;
    return { ...props, uuid: live.uuid, content: sortContent(live.content), description: live.description };
  } catch (error) {
    failWith(aliasLabel(props.name), error);
  }
}

export async function applyAlias(inputs: FirewallAliasInputs): Promise<FirewallAliasOutputs> {
  const failures = aliasFailures(inputs);
  if (failures.length > 0) {
    throw new Error(
      `${aliasLabel(inputs.name)}: ${failures.map((f) => `${f.property}: ${f.reason}`).join("; ")}`,
    );
  }
  const api = opnsense();
  const wanted = {
    name: inputs.name,
    type: "host",
    enabled: true,
    content: inputs.content,
    description: inputs.description,
  };
  try {
    const { value: uuid, backup } = await coordinator.change("alias", async (): Promise<Decision<string>> => {
      const live = await liveAlias(inputs.name);
      if (
        live &&
        live.type === "host" &&
        live.enabled &&
        live.description === inputs.description &&
        JSON.stringify(sortContent(live.content)) === JSON.stringify(inputs.content)
      ) {
        return { value: live.uuid };
      }
      return {
        write: async () => {
          if (live) {
            await api.putAlias(wanted, live.uuid);
            const undo = async () => {
              await api.putAlias(live, live.uuid);
            };
            return {
              value: live.uuid,
              change: { description: `restored the ${aliasLabel(inputs.name)}`, undo },
            };
          }
          const created = await api.putAlias(wanted);
          const undo = () => api.deleteAlias(created);
          return {
            value: created,
            change: { description: `deleted the ${aliasLabel(inputs.name)} it had added`, undo },
          };
        },
      };
    });
    return { ...inputs, uuid, ...(backup !== undefined && { backup }) };
  } catch (error) {
    failWith(aliasLabel(inputs.name), error);
  }
}

export async function deleteAlias(_id: string, props: FirewallAliasOutputs): Promise<void> {
  const api = opnsense();
  try {
    await coordinator.change("alias", async (): Promise<Decision<void>> => {
      const live = await liveAlias(props.name);
      if (!live) return { value: undefined };
      return {
        write: async () => {
          await api.deleteAlias(live.uuid);
          const undo = async () => {
            await api.putAlias(live, live.uuid);
          };
          return {
            value: undefined,
            change: { description: `recreated the ${aliasLabel(props.name)}`, undo },
          };
        },
      };
    });
  } catch (error) {
    failWith(aliasLabel(props.name), error);
  }
}
