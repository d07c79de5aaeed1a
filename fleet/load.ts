// Loads a fleet: every site's device files and every profile, each parsed and checked once;
// then the fleet-wide checks and one merge per device. Mistakes are collected, never thrown.
import * as fs from "node:fs";
import * as path from "node:path";
import { policyProblems } from "../policies/site-levels";
import { aliasNameProblem } from "../providers/opnsense/alias/model";
import { descriptionProblem, transportCheck } from "../providers/opnsense/model";
import { aliasDescription, reservationDescription } from "../providers/opnsense/plan";
import { inRange, inSubnet, isHostname, isIPv4, normalizeMac, parseSubnet } from "../providers/shared/net";
import { CATALOG, type SectionName, type SectionSpec } from "../providers/shelly/model/catalog";
import { CHANNEL_SECTIONS, type ModelSpec, modelSpec } from "../providers/shelly/model/models";
import { parseWindow } from "../providers/shelly/plan/campaign";
import { MergedConfig } from "./merge";
import { generationOfModel } from "./models";
import { describeValue, isSecretKey, quote } from "./redact";
import { checkSchema, type FileKind, locate } from "./schema-check";
import { parseSource, type SourceFile } from "./source";
import { substitute, substitutionsFor, unknownSubstitutionMessage } from "./substitute";
import { type TagRule, tagSet } from "./tags";
import type {
  DesiredDevice,
  DeviceGeneration,
  Expectation,
  Fleet,
  FleetError,
  NetworkSettings,
  Origin,
  ProvisionSettings,
  Site,
} from "./types";

export interface LoadOptions {
  /** The fleet's root: the directory holding devices/, profiles/ and stacks/. */
  root: string;
  /** Load only this site (devices/<site>/); profiles are always all checked. */
  site?: string;
  /** Where the files come from; default: the disk under `root`. `shelly-fleet diff` reads a git commit. */
  files?: FleetFiles;
}

/** Read access to a fleet's files, by path relative to its root ("/" separators). */
export interface FleetFiles {
  exists(relative: string): boolean;
  read(relative: string): string;
  /** A directory's entries; empty when it does not exist. */
  list(relative: string): { name: string; isFile: boolean; isDirectory: boolean }[];
}

export function diskFiles(root: string): FleetFiles {
  return {
    exists: (relative) => fs.existsSync(path.join(root, relative)),
    read: (relative) => fs.readFileSync(path.join(root, relative), "utf8"),
    list(relative) {
      const dir = path.join(root, relative);
      if (!fs.existsSync(dir)) return [];
      return fs
        .readdirSync(dir, { withFileTypes: true })
        .map((entry) => ({ name: entry.name, isFile: entry.isFile(), isDirectory: entry.isDirectory() }));
    },
  };
}

export const SITE_FILE = "site.toml";

export function loadFleet(options: LoadOptions): Fleet {
  const loader = new FleetLoader(options.files ?? diskFiles(options.root));
  const siteNames = options.site === undefined ? loader.siteNames() : [options.site];
  const sites = siteNames.map((name) => loader.loadSite(name));
  loader.checkProfileGraph();
  const devices = sites.flatMap((site) => loader.loadDevices(site));
  loader.checkFleetWide(sites, devices);
  const desired = devices.flatMap((device) => loader.merge(device) ?? []);
  return {
    sites: sites.map((s) => s.site),
    devices: desired,
    errors: loader.sortedErrors(),
    warnings: loader.sortedWarnings(),
  };
}

/** The sites of a fleet: the directories under devices/. */
export function listSites(root: string): string[] {
  return new FleetLoader(diskFiles(root)).siteNames();
}

interface Profile {
  name: string;
  source?: SourceFile;
  /** Parsed and schema-valid: usable in a merge. */
  valid: boolean;
  extends: string[];
  tags: string[];
}

interface LoadedSite {
  site: Site;
  source?: SourceFile;
  valid: boolean;
}

/** A device file that passed its schema, before merging. */
interface DeviceFile {
  name: string;
  site: LoadedSite;
  source: SourceFile;
  mac: string;
  address?: string;
  expect?: Expectation;
  /** `model`, else `expect.model`. */
  model?: string;
  /** The catalog's entry for the model, when it knows it. */
  modelSpec?: ModelSpec;
  generation?: DeviceGeneration;
  network?: NetworkSettings;
  provision?: ProvisionSettings;
  sleeping?: boolean;
  profiles: string[];
  tags: string[];
  /** The file itself is sound enough to merge (its per-file checks passed). */
  mergeable: boolean;
}

class FleetLoader {
  private readonly errors: FleetError[] = [];
  private readonly warnings: FleetError[] = [];
  private readonly profiles = new Map<string, Profile>();

  constructor(private readonly files: FleetFiles) {
    this.loadProfiles();
  }

  siteNames(): string[] {
    return this.list("devices")
      .filter((entry) => entry.isDirectory)
      .map((entry) => entry.name)
      .sort();
  }

  sortedErrors(): FleetError[] {
    return sortedUnique(this.errors);
  }

  sortedWarnings(): FleetError[] {
    return sortedUnique(this.warnings);
  }

  loadSite(name: string): LoadedSite {
    const relative = `devices/${name}/${SITE_FILE}`;
    const stackFile = `stacks/Pulumi.${name}.yaml`;
    const site: Site = {
      name,
      profiles: [],
      tagRules: [],
      ...(this.files.exists(stackFile) && { stackFile }),
    };
    if (site.stackFile) this.checkOpnsenseTransport(site.stackFile);
    if (!this.files.exists(relative)) return { site, valid: true };
    site.file = relative;
    const source = this.read(relative, "site");
    if (source === undefined) return { site, valid: false };
    const data = source.data as {
      subnet?: string;
      dhcp_pool?: { start: string; end: string };
      dhcp_backend?: Site["dhcpBackend"];
      credentials?: Site["credentials"];
      profiles?: string[];
      by_tag?: { tag: string; profiles?: string[]; aliases?: string[] }[];
      firmware_campaign?: {
        canary?: string[];
        canary_percent?: number;
        waves?: number[];
        pause_minutes?: number;
        windows?: string[];
      };
      policy?: Site["policy"];
    };
    Object.assign(site, {
      subnet: data.subnet,
      dhcpPool: data.dhcp_pool,
      dhcpBackend: data.dhcp_backend,
      credentials: data.credentials,
      profiles: data.profiles ?? [],
      tagRules: (data.by_tag ?? []).map(
        (rule): TagRule => ({ tag: rule.tag, profiles: rule.profiles ?? [], aliases: rule.aliases ?? [] }),
      ),
      ...(data.policy && { policy: data.policy }),
    });
    for (const problem of policyProblems(data.policy)) this.error(source, problem.key, problem.message);
    if (data.subnet && data.dhcp_pool) {
      const subnet = parseSubnet(data.subnet);
      for (const end of ["start", "end"] as const) {
        if (!inSubnet(data.dhcp_pool[end], subnet)) {
          this.error(
            source,
            ["dhcp_pool", end],
            `${data.dhcp_pool[end]} is outside the subnet ${data.subnet}`,
          );
        }
      }
    }
    const campaign = data.firmware_campaign;
    if (campaign) {
      site.campaign = {
        ...(campaign.canary && { canary: campaign.canary }),
        ...(campaign.canary_percent !== undefined && { canaryPercent: campaign.canary_percent }),
        waves: campaign.waves ?? [100],
        pauseMinutes: campaign.pause_minutes ?? 0,
        windows: campaign.windows ?? [],
      };
      for (const [i, window] of site.campaign.windows.entries()) {
        const parsed = parseWindow(window);
        if (typeof parsed === "string")
          this.error(source, ["firmware_campaign", "windows", String(i)], parsed);
      }
      const waves = site.campaign.waves;
      if (waves.some((p, i) => i > 0 && p <= (waves[i - 1] as number)))
        this.error(
          source,
          ["firmware_campaign", "waves"],
          "the percentages are cumulative: each larger than the one before",
        );
    }
    this.checkProfileNames(source, "profiles", site.profiles);
    for (const [i, rule] of site.tagRules.entries()) {
      this.checkProfileNames(source, ["by_tag", String(i), "profiles"], rule.profiles);
      for (const alias of rule.aliases) {
        const problem = aliasNameProblem(alias);
        if (problem) this.error(source, ["by_tag", String(i), "aliases"], `alias "${alias}" ${problem}`);
      }
    }
    return { site, source, valid: true };
  }

  loadDevices(site: LoadedSite): DeviceFile[] {
    return this.list(`devices/${site.site.name}`)
      .filter((entry) => entry.isFile && entry.name.endsWith(".toml") && entry.name !== SITE_FILE)
      .map((entry) => entry.name)
      .sort()
      .flatMap((fileName) => this.loadDevice(site, fileName) ?? []);
  }

  private loadDevice(site: LoadedSite, fileName: string): DeviceFile | undefined {
    const source = this.read(`devices/${site.site.name}/${fileName}`, "device");
    if (source === undefined) return undefined;
    const errorCount = this.errors.length;
    const data = source.data as {
      mac: string;
      address?: string;
      model?: string;
      expect?: Expectation;
      network?: NetworkSettings;
      provision?: ProvisionSettings;
      sleeping?: boolean;
      profiles?: string[];
      tags?: string[];
    };
    const device: DeviceFile = {
      name: fileName.slice(0, -".toml".length),
      site,
      source,
      // The schema has checked the spelling, so the MAC normalizes.
      mac: normalizeMac(data.mac) ?? data.mac,
      address: data.address,
      expect: data.expect,
      network: data.network,
      ...(data.provision && { provision: data.provision }),
      ...(data.sleeping === true && { sleeping: true }),
      profiles: data.profiles ?? [],
      tags: data.tags ?? [],
      mergeable: false,
    };
    if (data.address === undefined && data.network?.ip === undefined) {
      this.error(source, ["address"], "required key is missing (or give network.ip)");
    }
    if (data.provision) this.checkProvision(source, data.provision);
    device.model = this.namedModel(source, data.model, data.expect);
    device.modelSpec = device.model === undefined ? undefined : modelSpec(device.model);
    device.generation = this.expectedGeneration(source, device.model, data.expect);
    this.checkProfileNames(source, "profiles", device.profiles);
    device.mergeable = this.errors.length === errorCount;
    return device;
  }

  /** What the schema cannot say: each driver's own keys. */
  private checkProvision(source: SourceFile, provision: ProvisionSettings): void {
    if (provision.driver === "agent" && provision.agent === undefined) {
      this.error(source, ["provision", "driver"], 'driver "agent" needs agent = "<the agent\'s name>"');
    }
    if (provision.driver !== "agent" && provision.agent !== undefined) {
      this.error(
        source,
        ["provision", "agent"],
        `only driver "agent" uses an agent (driver is "${provision.driver}")`,
      );
    }
    if (provision.ap_address !== undefined && !isAddress(provision.ap_address)) {
      this.error(
        source,
        ["provision", "ap_address"],
        `expected an IPv4 address or a host name, optionally with :port; got "${provision.ap_address}"`,
      );
    }
  }

  /** The model the file names; `model` and `expect.model` must agree. Unknown ones are warnings. */
  private namedModel(
    source: SourceFile,
    model: string | undefined,
    expect: Expectation | undefined,
  ): string | undefined {
    if (model !== undefined && expect?.model !== undefined && model !== expect.model) {
      this.error(source, ["expect", "model"], `the file names model ${model}, not ${expect.model}`);
    }
    const named = model ?? expect?.model;
    if (named !== undefined && modelSpec(named) === undefined) {
      const generation = generationOfModel(named);
      const checked =
        generation === undefined
          ? "its keys are not checked"
          : `keys are checked for generation ${generation}`;
      this.warnings.push({
        file: source.file,
        ...locate(source, model !== undefined ? ["model"] : ["expect", "model"]),
        message: `model ${quote(named)} is not in the catalog: ${checked}, not its channels`,
      });
    }
    return named;
  }

  /** The generation the file states, or the one its model implies; both must agree. */
  private expectedGeneration(
    source: SourceFile,
    model: string | undefined,
    expect: Expectation | undefined,
  ): DeviceGeneration | undefined {
    const fromModel = model === undefined ? undefined : generationOfModel(model);
    if (expect?.generation !== undefined && fromModel !== undefined && expect.generation !== fromModel) {
      this.error(
        source,
        ["expect", "generation"],
        `${model} is a generation ${fromModel} model, not generation ${expect.generation}`,
      );
    }
    return expect?.generation ?? fromModel;
  }

  /** Duplicates across the loaded fleet, and addresses against their site's subnet and pool. */
  checkFleetWide(sites: LoadedSite[], devices: DeviceFile[]): void {
    const names = new Map<string, string>();
    const macs = new Map<string, string>();
    const perSite = new Map<string, { ips: Map<string, string>; hostnames: Map<string, string> }>();
    for (const site of sites) perSite.set(site.site.name, { ips: new Map(), hostnames: new Map() });
    const firstUse = (seen: Map<string, string>, key: string, file: string) => {
      const first = seen.get(key);
      if (first === undefined) seen.set(key, file);
      return first;
    };
    for (const device of devices) {
      const { source, site } = device;
      const vars = substitutionsFor(device.name, site.site.name, device.mac);
      const byName = firstUse(names, device.name, source.file);
      if (byName) this.error(source, [], `device name "${device.name}" is also used by ${byName}`);
      const byMac = firstUse(macs, device.mac, source.file);
      if (byMac) this.error(source, ["mac"], `MAC ${device.mac} is also used by ${byMac}`);

      device.address = this.substituteTopLevel(source, ["address"], device.address, vars);
      if (device.address !== undefined && !isAddress(device.address)) {
        this.error(
          source,
          ["address"],
          `expected an IPv4 address or a host name, optionally with :port; got "${device.address}"`,
        );
      }
      const network = device.network;
      if (network) {
        network.hostname = this.substituteTopLevel(source, ["network", "hostname"], network.hostname, vars);
        if (network.hostname !== undefined && !isHostname(network.hostname)) {
          this.error(source, ["network", "hostname"], `expected a host name; got "${network.hostname}"`);
        }
        this.checkOpnsenseNames(device);
      }
      const seen = perSite.get(site.site.name);
      const [ipKey, ip] = network?.ip
        ? [["network", "ip"], network.ip]
        : device.address && isIPv4(device.address)
          ? [["address"], device.address]
          : [[], undefined];
      if (ip && seen) {
        const byIp = firstUse(seen.ips, ip, source.file);
        if (byIp) this.error(source, ipKey, `IP address ${ip} is also used by ${byIp}`);
        const { subnet, dhcpPool } = site.site;
        if (subnet && !inSubnet(ip, parseSubnet(subnet))) {
          this.error(source, ipKey, `${ip} is outside the site's subnet ${subnet} (${site.site.file})`);
        } else if (network?.ip && dhcpPool && inRange(ip, dhcpPool.start, dhcpPool.end)) {
          this.error(
            source,
            ipKey,
            `${ip} is inside the site's dynamic DHCP pool ${dhcpPool.start}-${dhcpPool.end} (${site.site.file})`,
          );
        }
      }
      if (network?.hostname && seen) {
        const byHost = firstUse(seen.hostnames, network.hostname.toLowerCase(), source.file);
        if (byHost)
          this.error(
            source,
            ["network", "hostname"],
            `host name ${network.hostname} is also used by ${byHost}`,
          );
      }
    }
  }

  /**
   * The stack file's OPNsense URL: `http://` to another machine needs the opt-in. Pulumi writes
   * config as flat `key: value` lines, so the two keys are read by line, not with a YAML parser.
   */
  private checkOpnsenseTransport(stackFile: string): void {
    const text = this.files.read(stackFile);
    const lines = text.split("\n");
    const index = lines.findIndex((line) => /^\s+shelly-fleet:opnsense\.url:/.test(line));
    if (index < 0) return;
    const url = (lines[index] as string)
      .replace(/^\s+shelly-fleet:opnsense\.url:\s*/, "")
      .replace(/^["']|["']\s*$/g, "");
    const allowed = /^\s+shelly-fleet:opnsense\.allowCleartext:\s*["']?true["']?\s*$/m.test(text);
    const { error } = transportCheck(url.trim(), allowed);
    if (error) {
      this.errors.push({
        file: stackFile,
        keyPath: "config.shelly-fleet:opnsense.url",
        line: index + 1,
        message: error,
      });
    }
  }

  /** What OPNsense's models would refuse of this device's reservation and aliases (before any write). */
  private checkOpnsenseNames(device: DeviceFile): void {
    const { source, site, network } = device;
    for (const name of network?.aliases ?? []) {
      const problem = aliasNameProblem(name);
      if (problem) this.error(source, ["network", "aliases"], `alias "${name}" ${problem}`);
    }
    if (network?.ip !== undefined && site.site.dhcpBackend === "kea") {
      const problem = descriptionProblem(reservationDescription(site.site.name, device.name));
      if (problem) this.error(source, [], `the reservation's description (site and file name) ${problem}`);
    }
    if ((network?.aliases ?? []).length > 0) {
      const problem = descriptionProblem(aliasDescription(site.site.name));
      if (problem)
        this.error(source, ["network", "aliases"], `the alias description (the site's name) ${problem}`);
    }
  }

  /** The value with its substitutions made; undefined (error recorded) when one is unknown. */
  private substituteTopLevel(
    source: SourceFile,
    key: string[],
    value: string | undefined,
    vars: Record<string, string>,
  ): string | undefined {
    if (value === undefined) return undefined;
    const unknown = new Set<string>();
    const result = substitute(value, vars, unknown) as string;
    if (unknown.size === 0) return result;
    this.error(source, key, unknownSubstitutionMessage(unknown));
    return undefined;
  }

  /** Reports each cycle in `extends` once, at the profile whose `extends` closes it. */
  checkProfileGraph(): void {
    const done = new Set<string>();
    const stack: string[] = [];
    const visit = (name: string) => {
      const profile = this.profiles.get(name);
      if (profile === undefined || done.has(name)) return;
      stack.push(name);
      for (const [i, parent] of profile.extends.entries()) {
        const at = stack.indexOf(parent);
        if (at >= 0 && profile.source) {
          const cycle = [...stack.slice(at), parent].join(" → ");
          this.error(profile.source, ["extends", String(i)], `profile cycle: ${cycle}`);
        } else if (at < 0) {
          visit(parent);
        }
      }
      stack.pop();
      done.add(name);
    };
    for (const name of [...this.profiles.keys()].sort()) visit(name);
  }

  /** The merged desired state of one device, or undefined when one of its files is unusable. */
  merge(device: DeviceFile): DesiredDevice | undefined {
    const order: string[] = [];
    const linearize = (names: string[], visiting: Set<string>) => {
      for (const name of names) {
        const profile = this.profiles.get(name);
        if (profile === undefined || order.includes(name) || visiting.has(name)) continue;
        visiting.add(name);
        linearize(profile.extends, visiting);
        visiting.delete(name);
        order.push(name);
      }
    };
    // Rules match the tags of the file and of the profiles it names (the site's included), not
    // the tags of profiles a rule adds: one pass, no order to depend on.
    const named = [...device.site.site.profiles, ...device.profiles];
    linearize(named, new Set());
    const namedTags = tagSet(device.tags, ...order.map((name) => this.profiles.get(name)?.tags ?? []));
    const rules = device.site.site.tagRules.filter((rule) => namedTags.includes(rule.tag));
    order.length = 0;
    const requested = [
      ...device.site.site.profiles,
      ...rules.flatMap((rule) => rule.profiles),
      ...device.profiles,
    ];
    linearize(requested, new Set());
    const layers = order.map((name) => this.profiles.get(name));
    const complete =
      device.mergeable &&
      device.site.valid &&
      requested.every((name) => this.profiles.has(name)) &&
      layers.every((p) => p?.valid && p.extends.every((parent) => this.profiles.has(parent)));
    if (!complete) return undefined;

    const merged = new MergedConfig();
    for (const profile of layers) merged.apply(profile?.source as SourceFile, this.errors);
    merged.apply(device.source, this.errors);

    const vars = substitutionsFor(device.name, device.site.site.name, device.mac);
    for (const { keyPath, segments, leaf } of merged.leaves()) {
      const unknown = new Set<string>();
      leaf.value = substitute(leaf.value, vars, unknown);
      if (unknown.size > 0) {
        this.errors.push({ ...leaf.origin, keyPath, message: unknownSubstitutionMessage(unknown) });
      }
      if (device.generation !== undefined) this.checkGeneration(device, segments, keyPath, leaf.origin);
      if (device.modelSpec !== undefined) this.checkChannel(device, segments, keyPath, leaf.origin);
      this.checkKnownValue(device, segments, keyPath, leaf.value, leaf.origin);
    }
    const { config, provenance } = merged.build();
    const { name, site, source, mac, expect, model, generation, provision, sleeping } = device;
    const network = this.networkWithTagAliases(device, rules);
    return {
      name,
      site: site.site.name,
      file: source.file,
      mac,
      address: device.address ?? network?.ip ?? "",
      ...(expect && { expect }),
      ...(model && { model }),
      ...(generation && { generation }),
      ...(network && { network }),
      ...(provision && { provision }),
      ...(sleeping && { sleeping }),
      profiles: order,
      tags: tagSet(device.tags, ...layers.map((profile) => profile?.tags ?? [])),
      config,
      provenance,
      identityLines: identityLines(source),
    };
  }

  /** `network.aliases` with the aliases its tags join; those hold IPs, so the device needs one. */
  private networkWithTagAliases(device: DeviceFile, rules: TagRule[]): NetworkSettings | undefined {
    const byTag = rules.filter((rule) => rule.aliases.length > 0);
    if (byTag.length === 0) return device.network;
    if (device.network?.ip === undefined) {
      const rule = byTag[0] as TagRule;
      this.error(
        device.source,
        ["tags"],
        `tag "${rule.tag}" puts the device in alias "${rule.aliases[0]}" (${device.site.site.file}), which holds IPs: give it network.ip`,
      );
      return device.network;
    }
    const own = device.network.aliases ?? [];
    const aliases = [...own, ...byTag.flatMap((rule) => rule.aliases).filter((a) => !own.includes(a))];
    return { ...device.network, aliases: [...new Set(aliases)] };
  }

  /** A field the device's generation cannot take, reported in the device's file. */
  private checkGeneration(device: DeviceFile, segments: string[], keyPath: string, origin: Origin): void {
    const generationKey = device.generation === 1 ? "gen1" : "gen2";
    const label = device.generation === 1 ? "generation 1" : `generation ${device.generation} (Gen2+)`;
    let problem: string | undefined;
    if (segments[0] === "raw") {
      if (segments[1] !== generationKey) problem = `raw.${segments[1]} does not apply to a ${label} device`;
    } else {
      const [section, field] = sectionAndField(segments);
      const spec: SectionSpec = CATALOG[section];
      if (spec.fields[field]?.[generationKey] === undefined) problem = `not available on a ${label} device`;
    }
    if (problem === undefined) return;
    const stated =
      device.expect?.generation !== undefined
        ? `expect.generation = ${device.expect.generation}`
        : device.expect?.model !== undefined
          ? `expect.model = ${quote(device.expect.model)}`
          : `model = ${quote(device.model)}`;
    this.reportInDeviceFile(device, keyPath, origin, `${problem} (${stated})`);
  }

  /** A channel the named model does not have (`switch.3` on a one-relay model). */
  private checkChannel(device: DeviceFile, segments: string[], keyPath: string, origin: Origin): void {
    const [section = "", id] = segments;
    const spec = device.modelSpec;
    if (spec === undefined || !(CHANNEL_SECTIONS as readonly string[]).includes(section)) return;
    const count = spec.channels[section as keyof ModelSpec["channels"]] ?? 0;
    if (Number(id) < count) return;
    const has = count === 0 ? `no ${section} channels` : `${section} 0${count > 1 ? `-${count - 1}` : ""}`;
    this.reportInDeviceFile(
      device,
      keyPath,
      origin,
      `${device.model} (${spec.name}) has ${has} (model = ${quote(device.model)})`,
    );
  }

  /**
   * A value the catalog does not list for an enumerated field: devices report values the docs
   * never named (a white-mode RGBW2's `default_state = "switch"`), so it is a warning, never an error.
   */
  private checkKnownValue(
    device: DeviceFile,
    segments: string[],
    keyPath: string,
    value: unknown,
    origin: Origin,
  ): void {
    if (segments[0] === "raw" || segments[0] === "remove" || typeof value !== "string") return;
    const [section, field] = sectionAndField(segments);
    if (!Object.hasOwn(CATALOG, section)) return;
    const spec: SectionSpec = CATALOG[section];
    const type = spec.fields[field]?.type;
    if (type?.kind !== "enum" || type.values.includes(value)) return;
    this.warnings.push({
      file: origin.file,
      keyPath,
      line: origin.line,
      message: `${device.name}: ${describeValue(value, isSecretKey(keyPath))} is not a value the catalog knows for ${section}.${field} (${type.values.join(", ")}); accepted as written`,
    });
  }

  /** A problem of a merged key, reported in the device's file (and where an inherited key was set). */
  private reportInDeviceFile(device: DeviceFile, keyPath: string, origin: Origin, message: string): void {
    const inherited =
      origin.file === device.source.file ? "" : `; set in ${origin.file}:${origin.line ?? "?"}`;
    this.errors.push({
      file: device.source.file,
      keyPath,
      line:
        origin.file === device.source.file
          ? origin.line
          : (device.source.lineOf("model") ?? device.source.lineOf("expect")),
      message: `${message}${inherited}`,
    });
  }

  private loadProfiles(): void {
    const files = this.list("profiles")
      .filter((entry) => entry.isFile && entry.name.endsWith(".toml"))
      .map((entry) => entry.name)
      .sort();
    for (const fileName of files) {
      const name = fileName.slice(0, -".toml".length);
      const source = this.read(`profiles/${fileName}`, "profile");
      const extendsList = (source?.data.extends as string[] | undefined) ?? [];
      const tags = (source?.data.tags as string[] | undefined) ?? [];
      this.profiles.set(name, { name, source, valid: source !== undefined, extends: extendsList, tags });
    }
    for (const profile of this.profiles.values()) {
      if (profile.source) this.checkProfileNames(profile.source, "extends", profile.extends);
    }
  }

  private checkProfileNames(source: SourceFile, key: string | string[], names: string[]): void {
    for (const [i, name] of names.entries()) {
      if (!this.profiles.has(name))
        this.error(source, [key, String(i)].flat(), `unknown profile "${name}" (no profiles/${name}.toml)`);
    }
  }

  /** Parses and schema-checks a file: undefined (errors recorded) when it cannot be used. */
  private read(relative: string, kind: FileKind): SourceFile | undefined {
    const parsed = parseSource(relative, this.files.read(relative));
    if (!("data" in parsed)) {
      this.errors.push(parsed);
      return undefined;
    }
    const schemaErrors = checkSchema(kind, parsed);
    if (schemaErrors.length === 0) schemaErrors.push(...duplicateEntries(parsed));
    this.errors.push(...schemaErrors);
    return schemaErrors.length === 0 ? parsed : undefined;
  }

  private list(relative: string): ReturnType<FleetFiles["list"]> {
    return this.files.list(relative);
  }

  private error(source: SourceFile, segments: string[], message: string): void {
    this.errors.push({ file: source.file, ...locate(source, segments), message });
  }
}

/** `10.0.20.31`, `shelly-garage.lan`, either with `:port`, or a base URL `http://host[:port]`. */
function isAddress(text: string): boolean {
  const match = /^(?:http:\/\/)?([^/:]+)(?::(\d{1,5}))?\/?$/.exec(text);
  if (!match) return false;
  const [, host = "", port] = match;
  if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
  return /^[\d.]+$/.test(host) ? isIPv4(host) : isHostname(host);
}

/** `["wifi", "sta", "ssid"]` → wifi.sta, ssid; `["switch", "0", "name"]` → switch, name. */
function sectionAndField(segments: string[]): [SectionName, string] {
  const [first = "", second = "", third = ""] = segments;
  if (first in CATALOG) {
    const spec: SectionSpec = CATALOG[first as SectionName];
    return [first as SectionName, spec.kind === "table" ? second : third];
  }
  return [`${first}.${second}` as SectionName, third];
}

/** Two entries of one channel or named list with the same id or name, in one file. */
function duplicateEntries(source: SourceFile): FleetError[] {
  const errors: FleetError[] = [];
  for (const [name, spec] of Object.entries(CATALOG) as [SectionName, SectionSpec][]) {
    const list = source.data[name];
    if (spec.kind === "table" || !Array.isArray(list)) continue;
    const keyField = spec.kind === "channels" ? "id" : "name";
    const seen = new Map<unknown, number>();
    for (const [i, entry] of (list as Record<string, unknown>[]).entries()) {
      const key = entry?.[keyField];
      const first = seen.get(key);
      if (first === undefined) {
        seen.set(key, i);
        continue;
      }
      const firstLine = source.lineOf(`${name}[${first}]`);
      errors.push({
        file: source.file,
        ...locate(source, [name, String(i)]),
        message: `duplicate ${name} ${keyField} ${describeValue(key, false)}${firstLine ? ` (first at line ${firstLine})` : ""}`,
      });
    }
  }
  return errors;
}

/** Each problem once, in file and line order. */
function sortedUnique(list: FleetError[]): FleetError[] {
  const seen = new Set<string>();
  return list
    .filter((e) => {
      const key = `${e.file}\0${e.keyPath}\0${e.message}`;
      if (seen.has(key)) return false;
      seen.add(key);
      return true;
    })
    .sort((a, b) => a.file.localeCompare(b.file) || (a.line ?? 0) - (b.line ?? 0));
}

/** Where the device file writes its identity keys: the policy reports name the line. */
function identityLines(source: SourceFile): Record<string, number> {
  const lines: Record<string, number> = {};
  for (const key of ["mac", "address", "network.ip", "network.hostname"]) {
    // lineOf falls back to the enclosing table's line: only a key the file writes counts.
    const [section = "", field] = key.split(".");
    const table = source.data[section];
    const written =
      field === undefined
        ? table !== undefined
        : typeof table === "object" && table !== null && field in table;
    const line = written ? source.lineOf(key) : undefined;
    if (line !== undefined) lines[key] = line;
  }
  return lines;
}
