// The Pulumi policy pack: the rules of policies/rules.ts over the ShellyDevice resources' inputs,
// run by the engine (`pulumi preview --policy-pack policies`, and `shelly-fleet preview/up`).
// The inputs carry each device's merged config; the fleet's files add what they do not carry
// (the file and line of each key, the site's [policy] table, profiles, network settings). The
// fleet is read from the stack's `shelly-fleet:root` when absolute, else SHELLY_FLEET_ROOT, else
// the checkout this pack is part of.
import * as path from "node:path";
import {
  PolicyPack,
  type PolicyResource,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import { loadFleet, secretConfigKey, secretEnvName } from "../fleet";
import type { Fleet } from "../fleet/types";
import { fromEngine } from "../providers/shelly/engine-inputs";
import { policyDevice, policySite } from "./fleet";
import {
  checkDevice,
  checkFleet,
  formatViolation,
  type PolicyDevice,
  type PolicySite,
  RULES,
  type Violation,
} from "./rules";
import { keepStackConfig, stackConfig } from "./stack-config";

const DEVICE_TYPE = "pulumi-nodejs:dynamic/shelly:Device";

/**
 * The fleet's root: the stack's `shelly-fleet:root` when absolute (a relative one is the project
 * directory's, not known here), else SHELLY_FLEET_ROOT (scripts/env.sh sets it to the checkout;
 * `shelly-fleet preview/up` to the fleet they loaded), else the checkout's (from
 * dist/policies/pack.js). Read at each resource: the engine configures the stack first, and a
 * fleet is kept per root, so a root that arrives late is not hidden by an earlier one.
 */
function fleetRoot(): string {
  const configured = stackConfig("shelly-fleet:root");
  if (configured && path.isAbsolute(configured)) return path.resolve(configured);
  return path.resolve(process.env.SHELLY_FLEET_ROOT ?? path.join(__dirname, "..", ".."));
}
const fleets = new Map<string, Fleet>();

function fleetOf(site: string): Fleet {
  const root = fleetRoot();
  let fleet = fleets.get(`${root}\u0000${site}`);
  if (!fleet) {
    fleet = loadFleet({ root, site });
    fleets.set(`${root}\u0000${site}`, fleet);
  }
  return fleet;
}

function siteOf(name: string): PolicySite {
  const site = fleetOf(name).sites.find((s) => s.name === name);
  return site ? policySite(site) : { name };
}

/** A ShellyDevice's inputs as the rules' device, with what its file adds. */
function deviceOf(props: Record<string, unknown>): PolicyDevice {
  const inputs = fromEngine(props);
  const loaded = fleetOf(inputs.site).devices.find((d) => d.name === inputs.name);
  const fromFiles = loaded ? policyDevice(loaded) : undefined;
  return {
    ...fromFiles,
    name: inputs.name,
    site: inputs.site,
    file: fromFiles?.file ?? `devices/${inputs.site}/${inputs.name}.toml`,
    mac: inputs.mac,
    address: inputs.address,
    // What the engine is about to apply, not what the files say.
    config: inputs.desired,
  };
}

/** A WiFi key's value for its length: the stack's secret, else SHELLY_FLEET_SECRET_<NAME>. */
const secrets = (name: string) => stackConfig(secretConfigKey(name)) ?? process.env[secretEnvName(name)];

/**
 * One diagnostic per violation, at the level the site gives the rule. @pulumi/policy takes an
 * object in place of the message for that (server.js makeReportViolationFun); its types only
 * declare the string form.
 */
function report(reportViolation: ReportViolation, violation: Violation, urn?: string): void {
  const diagnostic = { message: formatViolation(violation), enforcementLevel: violation.level, urn };
  (reportViolation as unknown as (d: typeof diagnostic) => void)(diagnostic);
}

const isDevice = (type: string) => type === DEVICE_TYPE;

const resourcePolicies: ResourceValidationPolicy[] = RULES.filter((rule) => rule.scope === "device").map(
  (rule) => ({
    name: rule.id,
    description: rule.why,
    enforcementLevel: rule.level,
    validateResource: (args, reportViolation) => {
      if (!isDevice(args.type)) return;
      const device = deviceOf(args.props);
      for (const violation of checkDevice(device, siteOf(device.site), secrets)) {
        if (violation.rule === rule.id) report(reportViolation, violation);
      }
    },
  }),
);

// The engine gives a pack the planned inputs, not the state before them, so a change of WiFi
// secret cannot be seen here: `shelly-fleet preview/up` check wifi-secret-mass-change.
const stackPolicies: StackValidationPolicy[] = RULES.filter(
  (rule) => rule.scope === "fleet" && rule.id !== "wifi-secret-mass-change",
).map((rule) => ({
  name: rule.id,
  description: rule.why,
  enforcementLevel: rule.level,
  validateStack: (args, reportViolation) => {
    const resources = args.resources.filter((r: PolicyResource) => isDevice(r.type));
    const devices = resources.map((r) => deviceOf(r.props));
    const sites = [...new Set(devices.map((d) => d.site))].map(siteOf);
    for (const violation of checkFleet(devices, sites)) {
      if (violation.rule !== rule.id) continue;
      const index = devices.findIndex((d) => d.name === violation.device && d.site);
      report(reportViolation, violation, resources[index]?.urn);
    }
  },
}));

keepStackConfig();
new PolicyPack("shelly-fleet", { policies: [...resourcePolicies, ...stackPolicies] });
