// The rules over a loaded fleet (fleet/ loader output): what `validate` and `shelly-fleet
// preview/up` run before any engine, and what the policy pack adds to the resources' inputs.
import type { DesiredDevice, Fleet, Site } from "../fleet/types";
import {
  checkDevice,
  checkFleet,
  type PolicyDevice,
  type PolicySite,
  type SecretLookup,
  sortViolations,
  type Violation,
  type WifiSecretChange,
} from "./rules";

export function policySite(site: Site): PolicySite {
  const policy = site.policy ?? {};
  return {
    name: site.name,
    ...(site.file && { file: site.file }),
    ...(site.subnet && { subnet: site.subnet }),
    ...(site.dhcpPool && { dhcpPool: site.dhcpPool }),
    ...(policy.allow_cloud !== undefined && { allowCloud: policy.allow_cloud }),
    ...(policy.allow_beta !== undefined && { allowBeta: policy.allow_beta }),
    ...(policy.firmware_minimum && { firmwareMinimum: policy.firmware_minimum }),
    ...(policy.wifi_change_limit !== undefined && { wifiChangeLimit: policy.wifi_change_limit }),
    levels: Object.fromEntries(Object.entries(policy.rules ?? {}).map(([id, rule]) => [id, rule.level])),
  };
}

export function policyDevice(device: DesiredDevice): PolicyDevice {
  return {
    name: device.name,
    site: device.site,
    file: device.file,
    mac: device.mac,
    address: device.address,
    config: device.config,
    ...(device.generation !== undefined && { generation: device.generation }),
    ...(device.network && { network: { ip: device.network.ip, hostname: device.network.hostname } }),
    profiles: device.profiles,
    tags: device.tags,
    provenance: {
      ...device.provenance,
      ...Object.fromEntries(
        Object.entries(device.identityLines ?? {}).map(([key, line]) => [key, { file: device.file, line }]),
      ),
    },
  };
}

export interface FleetPolicyOptions {
  secrets?: SecretLookup;
  wifiChanges?: WifiSecretChange[];
  acknowledged?: boolean;
}

/** Every rule over the fleet's devices, sorted (mandatory first). */
export function checkFleetPolicies(fleet: Fleet, options: FleetPolicyOptions = {}): Violation[] {
  const sites = fleet.sites.map(policySite);
  const devices = fleet.devices.map(policyDevice);
  const perDevice = devices.flatMap((device) =>
    checkDevice(
      device,
      sites.find((s) => s.name === device.site),
      options.secrets,
    ),
  );
  return sortViolations([...perDevice, ...checkFleet(devices, sites, options)]);
}
