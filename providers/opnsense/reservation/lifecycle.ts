// What the DhcpReservation resource does at each step of its Pulumi lifecycle, as plain functions
// over plain objects: no Pulumi import here (provider.ts beside it is the adapter). check and diff
// are pure; read returns the live values so refresh shows drift field by field; create adopts an
// existing reservation of the same MAC instead of adding a duplicate; every write goes through the
// ApplyCoordinator (backup first, one reconfigure per service, rollback on failure).
import { isIPv4 } from "../../shared/net";
import { isKnown } from "../../shared/unknown";
import type { Change, Decision } from "../apply";
import type { DhcpService, ItemFields } from "../client";
import { applyCoordinator, failWith, opnsense } from "../connection";
import { canonicalMac, describeFailures, type Failure } from "../model";
import { type ReservationSpec, reservationFailures } from "./model";

export { configure } from "../connection";

export interface DhcpReservationInputs extends ReservationSpec {
  providerVersion: number;
}

export interface DhcpReservationOutputs extends DhcpReservationInputs {
  /** The OPNsense uuid (also the resource id). */
  uuid: string;
  /** The config backup taken before the apply that last wrote this reservation. */
  backup?: string;
}

export function check(news: DhcpReservationInputs): Failure[] {
  return reservationFailures(
    Object.fromEntries(
      Object.entries(news).filter(([, value]) => isKnown(value)),
    ) as Partial<ReservationSpec>,
  );
}

export function diff(olds: DhcpReservationOutputs, news: DhcpReservationInputs) {
  const replaces = (["backend", "mac", "subnet"] as const).filter((key) => olds[key] !== news[key]);
  const changes =
    replaces.length > 0 ||
    (["ip", "hostname", "description", "device", "providerVersion"] as const).some(
      (key) => olds[key] !== news[key],
    );
  // A replacement at the same address (a swapped device keeps its IP) would collide with the old
  // reservation, which Kea and dnsmasq refuse: the old one goes first.
  const deleteBeforeReplace = replaces.length > 0 && olds.ip === news.ip;
  return { changes, replaces, deleteBeforeReplace };
}

// ---------------------------------------------------------------------------------------------
// Kea reservations or dnsmasq DHCP hosts, behind one shape.

interface LiveReservation {
  uuid: string;
  /** As stored, to rewrite a MAC OPNsense kept in another spelling. */
  storedMac: string;
  ip: string;
  /** dnsmasq: every address of the host (IPv6 ones too), kept when ours changes. */
  ips?: string[];
  hostname: string;
  description: string;
}

interface ReservationBackend {
  /** The reservations of the spec's subnet (Kea) or of the firewall (dnsmasq). */
  list(): Promise<LiveReservation[]>;
  matches(live: LiveReservation, mac: string): boolean;
  /** Adds, or rewrites `live` to the spec (keeping what the spec does not manage). */
  put(spec: ReservationSpec, live?: LiveReservation): Promise<string>;
  /** Reads every field of the item, and returns how to put it back exactly so. */
  snapshot(uuid: string): Promise<() => Promise<void>>;
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
        ips: host.ips,
        hostname: host.hostname,
        description: host.description,
      }));
    return {
      list: hosts,
      matches: (live, mac) => live.storedMac.split(",").some((m) => canonicalMac(m) === mac),
      put: (s, live) => {
        // Ours replaces the host's IPv4 address and our MAC's spelling; its other addresses and MACs stay.
        const otherIps = (live?.ips ?? []).filter((ip) => !isIPv4(ip));
        const otherMacs = (live?.storedMac ?? "")
          .split(",")
          .filter((m) => m !== "" && canonicalMac(m) !== s.mac);
        const host = {
          hostname: s.hostname,
          ips: [s.ip, ...otherIps],
          macs: [s.mac, ...otherMacs],
          description: s.description,
        };
        return api.putDnsmasqHost(host, live?.uuid);
      },
      snapshot: (uuid) =>
        snapshotOf(uuid, (id) => api.dnsmasqHostFields(id), api.restoreDnsmasqHost.bind(api)),
      remove: (uuid) => api.deleteDnsmasqHost(uuid),
    };
  }
  const subnet = (await api.keaSubnets()).find((s) => s.subnet === spec.subnet)?.uuid;
  if (!subnet && requireSubnet) {
    throw new Error(
      `OPNsense has no Kea subnet ${spec.subnet}: add it under Services > Kea DHCP > Kea DHCPv4 > Subnets, or fix the site's subnet`,
    );
  }
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
    put: (s, live) =>
      api.putKeaReservation(
        { subnet: subnet ?? "", ip: s.ip, mac: s.mac, hostname: s.hostname, description: s.description },
        live?.uuid,
      ),
    snapshot: (uuid) =>
      snapshotOf(uuid, (id) => api.keaReservationFields(id), api.restoreKeaReservation.bind(api)),
    remove: (uuid) => api.deleteKeaReservation(uuid),
  };
}

/** The undo of a write to `uuid`: every field as read now, put back under the same uuid. */
async function snapshotOf(
  uuid: string,
  read: (uuid: string) => Promise<ItemFields | undefined>,
  restore: (fields: ItemFields, uuid: string) => Promise<void>,
): Promise<() => Promise<void>> {
  const before = await read(uuid);
  if (before === undefined)
    throw new Error(`the item ${uuid} vanished before it could be saved for a rollback`);
  return () => restore(before, uuid);
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
export async function read(
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
async function applyReservation(inputs: DhcpReservationInputs, id?: string): Promise<DhcpReservationOutputs> {
  const failures = reservationFailures(inputs);
  if (failures.length > 0) {
    throw new Error(`${label(inputs)}: ${describeFailures(failures)}`);
  }
  const service: DhcpService = inputs.backend;
  try {
    const { value: uuid, backup } = await applyCoordinator().change(
      service,
      async (): Promise<Decision<string>> => {
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
              const undo = await backend.snapshot(live.uuid);
              await backend.put(inputs, live);
              const change: Change = {
                description: `restored the ${label(inputs)} to ${live.ip} / ${live.hostname || "no host name"}`,
                undo,
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
      },
    );
    return { ...inputs, uuid, ...(backup !== undefined && { backup }) };
  } catch (error) {
    failWith(label(inputs), error);
  }
}

export function create(inputs: DhcpReservationInputs): Promise<DhcpReservationOutputs> {
  return applyReservation(inputs);
}

export function update(
  _olds: DhcpReservationOutputs,
  news: DhcpReservationInputs,
  id: string,
): Promise<DhcpReservationOutputs> {
  return applyReservation(news, id);
}

async function remove(id: string, props: DhcpReservationOutputs): Promise<void> {
  try {
    await applyCoordinator().change(props.backend, async (): Promise<Decision<void>> => {
      const backend = await reservationBackend(props, false);
      const live = findReservation(await backend.list(), backend, props, id);
      if (!live) return { value: undefined };
      return {
        write: async () => {
          // set_<x>/<uuid> is an upsert: the undo recreates it, every field, with the same uuid.
          const undo = await backend.snapshot(live.uuid);
          await backend.remove(live.uuid);
          return { value: undefined, change: { description: `recreated the ${label(props)}`, undo } };
        },
      };
    });
  } catch (error) {
    failWith(label(props), error);
  }
}

export { remove as delete };
