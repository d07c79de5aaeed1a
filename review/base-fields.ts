// The base commit's side of drift-or-change: each resource's fields as the base commit's files
// declare them, for one site. Devices by MAC (a renamed file is the same device), reservations
// by MAC, aliases by name; the OPNsense ones planned exactly as the program plans them.
import type { Fleet } from "../fleet";
import { planOpnsense } from "../providers/opnsense/plan";
import { deviceFields } from "./config-diff";
import { flattenObject } from "./fields";
import type { BaseCommit, BaseFields } from "./preview-changes";

const macKey = (mac: string) => mac.replace(/[^0-9a-f]/gi, "").toLowerCase();

export function baseFields(fleet: Fleet, site: string, commit: BaseCommit): BaseFields {
  const devices = fleet.devices.filter((device) => device.site === site);
  const siteOf = fleet.sites.find((s) => s.name === site) ?? { name: site };
  const plan = planOpnsense(siteOf, devices);
  const byKind = {
    device: new Map(devices.map((device) => [macKey(device.mac), deviceFields(device)])),
    reservation: new Map(plan.reservations.map((spec) => [macKey(spec.mac), flattenObject({ ...spec })])),
    alias: new Map(plan.aliases.map((spec) => [spec.name, flattenObject({ ...spec })])),
  };
  return { commit, fieldsOf: (kind, identity) => byKind[kind].get(identity) };
}
