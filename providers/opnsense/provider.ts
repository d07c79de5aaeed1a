// The DhcpReservation and FirewallAlias dynamic providers: thin adapters from Pulumi's lifecycle to
// lifecycle.ts. Pulumi stores this code in the state of every resource and runs that copy for
// refresh and delete, so the methods only load the implementation from the installed shelly-fleet
// package at run time: the stored code stays small and holds no credentials (stack config, in
// `configure`). All resources of a process share that module, hence one backup and one
// reconfigure per service per apply.

import * as pulumi from "@pulumi/pulumi";
import { loadFromPackage } from "../load-from-package";
import type { AliasSpec, ReservationSpec } from "./model";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const OPNSENSE_PROVIDER_VERSION = 1;

type Lifecycle = typeof import("./lifecycle");

/** The implementation, from the installed package (see load-from-package.ts). */
function lifecycle(): Lifecycle {
  return loadFromPackage<Lifecycle>("dist/providers/opnsense/lifecycle.js");
}

const RESERVATION_INPUTS = [
  "device",
  "backend",
  "subnet",
  "dhcpPool",
  "mac",
  "ip",
  "hostname",
  "description",
  "providerVersion",
];
const ALIAS_INPUTS = ["name", "content", "members", "description", "providerVersion"];

function pick(keys: string[], props: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(keys.filter((key) => props[key] !== undefined).map((key) => [key, props[key]]));
}

export const dhcpReservationProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    lifecycle().configure((key) => req.config.get(key));
  },
  async check(_olds, news) {
    return { inputs: news, failures: lifecycle().checkReservation(news as never) };
  },
  async diff(_id, olds, news) {
    return lifecycle().diffReservation(olds as never, news as never);
  },
  async create(inputs) {
    const outs = await lifecycle().applyReservation(pick(RESERVATION_INPUTS, inputs) as never);
    return { id: outs.uuid, outs };
  },
  // The live values become the inputs, so the next preview shows each drifted field; a
  // reservation deleted on the firewall leaves the state, and the preview shows it created again.
  async read(id, props) {
    const outs = await lifecycle().readReservation(id, props as never);
    if (!outs) return {};
    return { id: outs.uuid, props: outs, inputs: pick(RESERVATION_INPUTS, outs as never) };
  },
  async update(id, _olds, news) {
    return { outs: await lifecycle().applyReservation(pick(RESERVATION_INPUTS, news) as never, id) };
  },
  async delete(id, props) {
    await lifecycle().deleteReservation(id, props as never);
  },
};

export const firewallAliasProvider: pulumi.dynamic.ResourceProvider = {
  async configure(req) {
    lifecycle().configure((key) => req.config.get(key));
  },
  async check(_olds, news) {
    return { inputs: news, failures: lifecycle().checkAlias(news as never) };
  },
  async diff(_id, olds, news) {
    return lifecycle().diffAlias(olds as never, news as never);
  },
  async create(inputs) {
    const outs = await lifecycle().applyAlias(pick(ALIAS_INPUTS, inputs) as never);
    return { id: outs.uuid, outs };
  },
  async read(id, props) {
    const outs = await lifecycle().readAlias(id, props as never);
    if (!outs) return {};
    return { id: outs.uuid, props: outs, inputs: pick(ALIAS_INPUTS, outs as never) };
  },
  async update(_id, _olds, news) {
    return { outs: await lifecycle().applyAlias(pick(ALIAS_INPUTS, news) as never) };
  },
  async delete(id, props) {
    await lifecycle().deleteAlias(id, props as never);
  },
};

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

/** A Kea reservation or dnsmasq DHCP host for one device; natural key: its MAC. */
export class DhcpReservation extends pulumi.dynamic.Resource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly ip: pulumi.Output<string>;
  /** The config backup taken before the apply that last wrote it. */
  declare readonly backup: pulumi.Output<string | undefined>;

  constructor(name: string, args: Inputs<ReservationSpec>, opts?: pulumi.CustomResourceOptions) {
    super(
      dhcpReservationProvider,
      name,
      { uuid: undefined, backup: undefined, providerVersion: OPNSENSE_PROVIDER_VERSION, ...args },
      opts,
      "opnsense",
      "DhcpReservation",
    );
  }
}

/** A `host` alias holding its member devices' IPs; natural key: its name. */
export class FirewallAlias extends pulumi.dynamic.Resource {
  declare readonly uuid: pulumi.Output<string>;
  declare readonly backup: pulumi.Output<string | undefined>;

  constructor(name: string, args: Inputs<AliasSpec>, opts?: pulumi.CustomResourceOptions) {
    super(
      firewallAliasProvider,
      name,
      { uuid: undefined, backup: undefined, providerVersion: OPNSENSE_PROVIDER_VERSION, ...args },
      opts,
      "opnsense",
      "FirewallAlias",
    );
  }
}
