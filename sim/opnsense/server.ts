// A loopback HTTP server that answers like the OPNsense API subset shelly-fleet uses: Kea DHCPv4
// subnets and reservations, dnsmasq hosts, firewall aliases, services, config backups
// (../shared/reference/opnsense/API.md; checked against its fixtures in test/opnsense/conformance).
import { randomBytes, randomUUID } from "node:crypto";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { setTimeout as sleep } from "node:timers/promises";
import {
  type AliasRecord,
  type DnsmasqHostRecord,
  type KeaReservationRecord,
  UUID_V4,
  type ValidationRelease,
  type Validations,
  validateAlias,
  validateDnsmasqHost,
  validateKeaReservation,
} from "./validate";

/** The services whose running configuration changes only on reconfigure. */
export type OpnsenseService = "kea" | "dnsmasq" | "alias";

/** Search rows as ≤25.1 (display text, relations as their label) or 25.7+ (raw values, `%field`, dotted keys). */
export type RowFormat = "legacy" | "modern";

export interface ReconfigureFault {
  /** `error`: HTTP 500 UserException; `stays-down`: `{"status":"ok"}`, but the service is then stopped. */
  mode: "error" | "stays-down";
  /** How many reconfigures fail; default: all until cleared. */
  times?: number;
}

export interface OpnsenseFaults {
  /** Added before every answer. */
  latencyMs?: number;
  /** Commands (`kea/dhcpv4/search_reservation`, any spelling) answered with HTTP 500. */
  fail500?: string[];
  reconfigure?: Partial<Record<OpnsenseService, ReconfigureFault>>;
}

export interface KeaSubnetSeed {
  subnet: string;
  /** `"10.0.30.100 - 10.0.30.199"`, newline separated. */
  pools?: string;
  description?: string;
}

export interface OpnsenseSimOptions {
  /** 127.x only. Default 127.0.0.1. */
  host?: string;
  port?: number;
  /** API key and secret; random when not given. */
  key?: string;
  secret?: string;
  /** Default `modern` (25.7+). */
  rowFormat?: RowFormat;
  keaSubnets?: KeaSubnetSeed[];
  faults?: OpnsenseFaults;
  /** Whose validation messages: default 26.1 (24.1 substitutes the name into one of them). */
  release?: ValidationRelease;
  /** The API user's privileges (ACL.xml names, README.md); default: all of them. */
  privileges?: OpnsensePrivilege[];
}

/** The privileges (opnsense/core models/OPNsense/<Module>/ACL/ACL.xml) the simulated API checks. */
export const OPNSENSE_PRIVILEGES = {
  "page-dhcp-kea-v4": { name: "Services: DHCP: Kea(v4)", patterns: ["kea/dhcpv4/", "kea/service/"] },
  "page-services-dnsforwarder": { name: "Services: Dnsmasq DNS/DHCP: Settings", patterns: ["dnsmasq/"] },
  "page-firewall-alias-edit": { name: "Firewall: Alias: Edit", patterns: ["firewall/alias/"] },
  "page-diagnostics-configurationhistory": {
    name: "Diagnostics: Configuration History",
    patterns: ["core/backup/"],
  },
} as const;
export type OpnsensePrivilege = keyof typeof OPNSENSE_PRIVILEGES;

export interface OpnsenseRequestLogEntry {
  method: string;
  /** The normalized command, e.g. `kea/dhcpv4/setreservation`; "" when not routed. */
  command: string;
  path: string;
  status: number;
}

interface KeaSubnetRecord {
  subnet: string;
  pools: string;
  description: string;
}

interface Revision {
  id: string;
  time: number;
  description: string;
  xml: string;
}

interface Answer {
  status?: number;
  body: unknown;
  /** Raw text answers (config.xml downloads). */
  text?: string;
}

interface Call {
  method: string;
  params: string[];
  body: Record<string, unknown>;
  query: URLSearchParams;
}

/** A list or object where the model has a single value: PHP throws, the API answers HTTP 500. */
class InputTypeError extends Error {
  constructor(field: string) {
    super(`Invalid input type for ${field}: expected a single value`);
  }
}

/** Built-in aliases: present in search, get and export with their name as the uuid (API.md §6.4). */
const BUILTIN_ALIASES: Record<string, string> = {
  bogons: "bogon networks (internal)",
  bogonsv6: "bogon networks IPv6 (internal)",
  sshlockout: "abuse lockout table (internal)",
  virusprot: "overload table for rate limiting (internal)",
  __lan_network: "LAN net",
};

const ALIAS_TYPE_LABELS: Record<string, string> = {
  host: "Host(s)",
  network: "Network(s)",
  port: "Port(s)",
  url: "URL (IPs)",
  urltable: "URL Table (IPs)",
  urljson: "URL Table in JSON format (IPs)",
  geoip: "GeoIP",
  networkgroup: "Network group",
  mac: "MAC address",
  asn: "BGP ASN",
  dynipv6host: "Dynamic IPv6 Host",
  authgroup: "OpenVPN group",
  internal: "Internal (automatic)",
  external: "External (advanced)",
};

const SERVICE_WIDGET = { caption_restart: "Restart", caption_start: "Start", caption_stop: "Stop" };
const BACKUP_RETENTION = 100;

/** PHP's router: `search_reservation`, `searchReservation` and `searchreservation` are one action. */
const routeKey = (...parts: string[]) => parts.map((p) => p.replace(/_/g, "").toLowerCase()).join("/");

/** An option map of a list field as `get_*` shows it: every entry selected, `""` for an empty list. */
function listMap(value: string, separator: string): Record<string, { value: string; selected: number }> {
  const items = value.split(separator).filter((item) => item !== "");
  if (items.length === 0) return { "": { value: "", selected: 1 } };
  return Object.fromEntries(items.map((item) => [item, { value: item, selected: 1 }]));
}

/** A MAC in any spelling → its lower-case hex digits. */
function macDigits(mac: string): string {
  return mac.replace(/[^0-9a-fA-F]/g, "").toLowerCase();
}

function xmlEscape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function xmlItems(tag: string, items: Map<string, object>): string {
  return [...items]
    .map(
      ([uuid, record]) =>
        `<${tag} uuid="${uuid}">${Object.entries(record)
          .map(([k, v]) => `<${k}>${xmlEscape(String(v))}</${k}>`)
          .join("")}</${tag}>`,
    )
    .join("\n");
}

/** A mutable collection behind the generic CRUD actions (`ApiMutableModelControllerBase`, API.md §2.1). */
interface Collection<T extends object> {
  wrapper: string;
  /** The search's default sort field. */
  sortKey: string;
  service: OpnsenseService;
  items: Map<string, T>;
  blank(): T;
  validate(uuid: string, record: T): Validations;
  getView(record: T): Record<string, unknown>;
  row(uuid: string, record: T): Record<string, string>;
  /** Rows the model lists but that are not stored items (built-in aliases). */
  extraRows?(): Record<string, string>[];
  /** The UserException raised when an item is still referenced. */
  inUse?(uuid: string, record: T): string | undefined;
}

export class OpnsenseSim {
  readonly key: string;
  readonly secret: string;
  rowFormat: RowFormat;
  faults: OpnsenseFaults;
  release: ValidationRelease;
  /** What the API user may call: edit it to take a privilege away (HTTP 403). */
  privileges: Set<OpnsensePrivilege>;

  readonly keaSubnets = new Map<string, KeaSubnetRecord>();
  readonly keaReservations = new Map<string, KeaReservationRecord>();
  readonly dnsmasqHosts = new Map<string, DnsmasqHostRecord>();
  readonly aliases = new Map<string, AliasRecord>();
  /** Alias names referenced by firewall rules: deleting them fails (HTTP 500). */
  readonly aliasesInUse = new Set<string>();

  /** What each service last loaded on reconfigure (JSON of the stored objects then). */
  readonly running: Record<OpnsenseService, string> = { kea: "[]", dnsmasq: "[]", alias: "[]" };
  /** `disabled`: the service is switched off in its settings; reconfigure leaves it so. */
  readonly serviceStatus: Record<OpnsenseService, "running" | "stopped" | "disabled"> = {
    kea: "running",
    dnsmasq: "running",
    alias: "running",
  };
  readonly reconfigureCount: Record<OpnsenseService, number> = { kea: 0, dnsmasq: 0, alias: 0 };
  readonly revisions: Revision[] = [];
  readonly log: OpnsenseRequestLogEntry[] = [];

  private server: http.Server | undefined;
  private readonly routes = new Map<string, { params: number; handle: (call: Call) => Answer }>();
  private readonly collections: {
    reservation: Collection<KeaReservationRecord>;
    host: Collection<DnsmasqHostRecord>;
    alias: Collection<AliasRecord>;
  };

  constructor(options: OpnsenseSimOptions = {}) {
    this.key = options.key ?? randomBytes(30).toString("base64url");
    this.secret = options.secret ?? randomBytes(30).toString("base64url");
    this.rowFormat = options.rowFormat ?? "modern";
    this.faults = options.faults ?? {};
    this.release = options.release ?? "26.1";
    this.privileges = new Set(
      options.privileges ?? (Object.keys(OPNSENSE_PRIVILEGES) as OpnsensePrivilege[]),
    );
    for (const seed of options.keaSubnets ?? []) this.addKeaSubnet(seed);
    this.collections = {
      reservation: this.reservationCollection(),
      host: this.hostCollection(),
      alias: this.aliasCollection(),
    };
    this.registerRoutes();
    for (const service of ["kea", "dnsmasq", "alias"] as const)
      this.running[service] = this.snapshot(service);
  }

  /** Base URL, e.g. `http://127.0.0.1:41234`. */
  get address(): string {
    const info = this.server?.address() as AddressInfo | undefined;
    if (!info) throw new Error("the OPNsense simulator is not listening");
    return `http://${info.address}:${info.port}`;
  }

  addKeaSubnet(seed: KeaSubnetSeed): string {
    const uuid = randomUUID();
    this.keaSubnets.set(uuid, {
      subnet: seed.subnet,
      pools: seed.pools ?? "",
      description: seed.description ?? "",
    });
    return uuid;
  }

  /** Requests of one command (any spelling), e.g. `count("kea/service/reconfigure")`. */
  count(command: string, method?: string): number {
    const [m = "", c = "", a = ""] = command.split("/");
    const key = routeKey(m, c, a);
    return this.log.filter((e) => e.command === key && (method === undefined || e.method === method)).length;
  }

  /**
   * The address DHCP hands `mac` now: its reservation in what Kea or dnsmasq last loaded
   * (reconfigure), while that service runs; undefined when it has none (a dynamic lease).
   */
  leaseFor(mac: string): string | undefined {
    const wanted = macDigits(mac);
    const loaded = <T>(service: OpnsenseService): T[] =>
      this.serviceStatus[service] === "running"
        ? (JSON.parse(this.running[service]) as [string, T][]).map(([, record]) => record)
        : [];
    const kea = loaded<KeaReservationRecord>("kea").find((r) => macDigits(r.hw_address) === wanted);
    if (kea) return kea.ip_address;
    const host = loaded<DnsmasqHostRecord>("dnsmasq").find((h) =>
      h.hwaddr.split(",").some((m) => macDigits(m) === wanted),
    );
    return host?.ip.split(",").find((ip) => /^\d+\.\d+\.\d+\.\d+$/.test(ip));
  }

  /** The stored objects of a service, as its running configuration would load them. */
  snapshot(service: OpnsenseService): string {
    const map = { kea: this.keaReservations, dnsmasq: this.dnsmasqHosts, alias: this.aliases }[service];
    return JSON.stringify([...map].sort(([a], [b]) => a.localeCompare(b)));
  }

  configXml(): string {
    return `<?xml version="1.0"?>
<opnsense>
  <OPNsense>
    <Kea><dhcp4><subnets>${xmlItems("subnet4", this.keaSubnets)}</subnets><reservations>${xmlItems("reservation", this.keaReservations)}</reservations></dhcp4></Kea>
    <Firewall><Alias><aliases>${xmlItems("alias", this.aliases)}</aliases></Alias></Firewall>
  </OPNsense>
  <dnsmasq><hosts>${xmlItems("hosts", this.dnsmasqHosts)}</hosts></dnsmasq>
  <system><user><name>root</name><password>$2y$11$simulatedhashsimulatedhashsimulatedhashsimulat</password></user></system>
</opnsense>
`;
  }

  async listen(host = "127.0.0.1", port = 0): Promise<void> {
    if (!host.startsWith("127.")) throw new Error(`the OPNsense simulator serves loopback only, not ${host}`);
    this.server = http.createServer((req, res) => {
      this.serve(req, res).catch((err: unknown) => {
        res.writeHead(500, { "content-type": "application/json; charset=UTF-8" });
        res.end(JSON.stringify({ errorMessage: `simulator fault: ${(err as Error).message}` }));
      });
    });
    await new Promise<void>((resolve, reject) => {
      this.server?.once("error", reject);
      this.server?.listen(port, host, () => resolve());
    });
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // -------------------------------------------------------------------------------------------
  // HTTP

  private async serve(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const raw = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://opnsense");
    const method = req.method ?? "GET";
    if (this.faults.latencyMs) await sleep(this.faults.latencyMs);

    let command = "";
    const send = (status: number, answer: Answer) => {
      this.log.push({ method, command, path: url.pathname, status });
      if (answer.text !== undefined) {
        res.writeHead(status, {
          "content-type": "application/octet-stream",
          "content-disposition": 'attachment; filename="config.xml"',
        });
        res.end(answer.text);
        return;
      }
      res.writeHead(status, { "content-type": "application/json; charset=UTF-8" });
      // PHP json_encode escapes slashes.
      res.end(JSON.stringify(answer.body).replace(/\//g, "\\/"));
    };

    if (!this.authorized(req.headers.authorization)) {
      send(401, { body: { status: 401, message: "Authentication Failed" } });
      return;
    }
    const parts = url.pathname.split("/").filter((p) => p !== "");
    const [api, module = "", controller = "", action = "", ...params] = parts.map(decodeURIComponent);
    const route = api === "api" ? this.routes.get(routeKey(module, controller, action)) : undefined;
    if (!route || params.length < route.params) {
      send(404, { body: { errorMessage: "Endpoint not found" } });
      return;
    }
    command = routeKey(module, controller, action);
    if (!this.allowed(`${module}/${controller}/${action}`)) {
      send(403, { body: { status: 403, message: "Forbidden" } });
      return;
    }

    let body: Record<string, unknown> = {};
    if (method === "POST" && /^application\/json\s*(;|$)/i.test(req.headers["content-type"] ?? "")) {
      if (raw === "") {
        send(400, { body: { status: 400, message: "Invalid JSON syntax" } });
        return;
      }
      try {
        const parsed: unknown = JSON.parse(raw);
        if (parsed && typeof parsed === "object" && !Array.isArray(parsed))
          body = parsed as Record<string, unknown>;
      } catch {
        // OPNsense treats an unparsable non-empty body as `{}`.
      }
    }
    if ((this.faults.fail500 ?? []).some((c) => routeKey(...c.split("/")) === command)) {
      send(500, { body: { errorMessage: "Unexpected error, check log for details" } });
      return;
    }
    let answer: Answer;
    try {
      answer = route.handle({ method, params, body, query: url.searchParams });
    } catch (error) {
      if (!(error instanceof InputTypeError)) throw error;
      // BaseField::setNodes throws a plain Exception: the API hides it behind the generic 500.
      answer = { status: 500, body: { errorMessage: "Unexpected error, check log for details" } };
    }
    send(answer.status ?? 200, answer);
  }

  /** ACL: the user's privileges list URL patterns (`api/kea/dhcpv4/*`); the path as sent is matched. */
  private allowed(path: string): boolean {
    return [...this.privileges].some((privilege) =>
      OPNSENSE_PRIVILEGES[privilege].patterns.some((pattern) => path.startsWith(pattern)),
    );
  }

  private authorized(header: string | undefined): boolean {
    const token = header?.split(" ")[1];
    if (!token) return false;
    const decoded = Buffer.from(token, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    return colon > 0 && decoded.slice(0, colon) === this.key && decoded.slice(colon + 1) === this.secret;
  }

  private route(path: string, params: number, handle: (call: Call) => Answer): void {
    const [m = "", c = "", a = ""] = path.split("/");
    this.routes.set(routeKey(m, c, a), { params, handle });
  }

  private registerRoutes(): void {
    const { reservation, host, alias } = this.collections;
    this.crudRoutes("kea/dhcpv4", "reservation", reservation);
    this.route("kea/dhcpv4/search_subnet", 0, (call) => this.search(call, this.subnetRows(), "subnet"));
    this.route("kea/dhcpv4/get_subnet", 0, (call) => this.getSubnet(call.params[0]));
    this.serviceRoutes("kea/service", "kea");

    this.crudRoutes("dnsmasq/settings", "host", host);
    this.serviceRoutes("dnsmasq/service", "dnsmasq");

    this.crudRoutes("firewall/alias", "item", alias);
    this.route("firewall/alias/get_alias_u_u_i_d", 1, (call) => {
      const name = call.params[0] ?? "";
      if (name in BUILTIN_ALIASES) return { body: { uuid: name } };
      const uuid = [...this.aliases].find(([, a]) => a.name === name)?.[0];
      return { body: uuid ? { uuid } : [] };
    });
    this.route("firewall/alias/export", 0, () => ({
      body: {
        aliases: {
          alias: Object.fromEntries(
            [...this.aliases]
              .map(([uuid, a]) => [uuid, { ...a, uuid }])
              .concat(
                Object.entries(BUILTIN_ALIASES).map(([name, description]) => [
                  name,
                  { ...this.builtinAlias(name, description), uuid: name },
                ]),
              ),
          ),
        },
      },
    }));
    this.route("firewall/alias/reconfigure", 0, (call) => this.reconfigure(call, "alias"));

    this.route("core/backup/backups", 1, () => ({
      body: {
        items: [...this.revisions].reverse().map((r) => ({
          time: String(r.time),
          time_iso: new Date(r.time * 1000).toISOString(),
          description: r.description,
          username: "root@127.0.0.1",
          filesize: r.xml.length,
          id: r.id,
        })),
      },
    }));
    this.route("core/backup/download", 1, (call) => {
      const id = call.params[1];
      if (id === undefined) return { body: null, text: this.configXml() };
      const revision = this.revisions.find((r) => r.id === id);
      return revision ? { body: null, text: revision.xml } : { body: [] };
    });
  }

  private crudRoutes<T extends object>(prefix: string, noun: string, collection: Collection<T>): void {
    this.route(`${prefix}/search_${noun}`, 0, (call) => {
      const rows = [...collection.items].map(([uuid, record]) => collection.row(uuid, record));
      return this.search(call, [...rows, ...(collection.extraRows?.() ?? [])], collection.sortKey);
    });
    this.route(`${prefix}/get_${noun}`, 0, (call) => {
      const uuid = call.params[0];
      if (uuid === undefined)
        return { body: { [collection.wrapper]: collection.getView(collection.blank()) } };
      const record = collection.items.get(uuid);
      if (!record) {
        // ≤26.1: an unknown alias uuid is a PHP TypeError (API.md §6.5); the others answer [].
        if (collection.service === "alias") {
          return { status: 500, body: { errorMessage: "Unexpected error, check log for details" } };
        }
        return { body: [] };
      }
      return { body: { [collection.wrapper]: collection.getView(record) } };
    });
    this.route(`${prefix}/add_${noun}`, 0, (call) => {
      const fields = call.body[collection.wrapper];
      if (call.method !== "POST" || !fields || typeof fields !== "object")
        return { body: { result: "failed" } };
      const uuid = randomUUID();
      return this.save(collection, uuid, this.merge(collection.blank(), fields), { result: "saved", uuid });
    });
    this.route(`${prefix}/set_${noun}`, 1, (call) => {
      const uuid = call.params[0] ?? "";
      const fields = call.body[collection.wrapper];
      if (call.method !== "POST" || !fields || typeof fields !== "object" || !UUID_V4.test(uuid)) {
        return { body: { result: "failed" } };
      }
      // Upsert: an unknown well-formed uuid creates the item with that uuid (API.md §2.1).
      const current = collection.items.get(uuid) ?? collection.blank();
      return this.save(collection, uuid, this.merge({ ...current }, fields), { result: "saved" });
    });
    this.route(`${prefix}/del_${noun}`, 1, (call) => {
      if (call.method !== "POST") return { body: { result: "failed" } };
      const uuids = (call.params[0] ?? "").split(",");
      if (uuids.some((uuid) => !collection.items.has(uuid))) return { body: { result: "not found" } };
      for (const uuid of uuids) {
        const message = collection.inUse?.(uuid, collection.items.get(uuid) as T);
        if (message) return { status: 500, body: { errorMessage: message, errorTitle: "Alias in use" } };
      }
      for (const uuid of uuids) collection.items.delete(uuid);
      this.revise(`${collection.wrapper} deleted`);
      return { body: { result: "deleted" } };
    });
  }

  private serviceRoutes(prefix: string, service: OpnsenseService): void {
    this.route(`${prefix}/reconfigure`, 0, (call) => this.reconfigure(call, service));
    this.route(`${prefix}/status`, 0, () => ({
      body: { status: this.serviceStatus[service], widget: SERVICE_WIDGET },
    }));
  }

  /**
   * BaseField::setNodes: only the model's fields are set, null leaves a field as it is, an array
   * or object for a single value is an exception (HTTP 500), and the rest is PHP's string cast
   * (`true` → "1", `false` → "", lists as one comma or newline separated string).
   */
  private merge<T extends object>(record: T, fields: object): T {
    const target = record as Record<string, string>;
    for (const [key, value] of Object.entries(fields)) {
      if (!(key in target) || value === null || value === undefined) continue;
      if (typeof value === "object") throw new InputTypeError(key);
      target[key] = typeof value === "boolean" ? (value ? "1" : "") : String(value);
    }
    return record;
  }

  private save<T extends object>(collection: Collection<T>, uuid: string, record: T, ok: object): Answer {
    const validations = collection.validate(uuid, record);
    if (Object.keys(validations).length > 0) return { body: { result: "failed", validations } };
    collection.items.set(uuid, record);
    this.revise(`${collection.wrapper} saved`);
    return { body: ok };
  }

  /** Every save writes config.xml and a backup revision (API.md §2.1). */
  private revise(description: string): void {
    const last = this.revisions.at(-1)?.time ?? 0;
    const time = Math.max(Date.now() / 1000, last + 0.0001);
    this.revisions.push({ id: `config-${time.toFixed(4)}.xml`, time, description, xml: this.configXml() });
    if (this.revisions.length > BACKUP_RETENTION) this.revisions.shift();
  }

  private reconfigure(call: Call, service: OpnsenseService): Answer {
    if (call.method !== "POST") return { body: { status: "failed" } };
    this.reconfigureCount[service]++;
    const fault = this.faults.reconfigure?.[service];
    if (fault) {
      if (fault.times !== undefined && --fault.times <= 0) delete this.faults.reconfigure?.[service];
      if (fault.mode === "error") {
        this.serviceStatus[service] = "stopped";
        return {
          status: 500,
          body:
            service === "alias"
              ? { errorMessage: "Alias table reload failed", errorTitle: "Alias" }
              : {
                  errorMessage: `Template generation failed for internal service "${service}". See backend log for details.`,
                  errorTitle: "Service",
                },
        };
      }
      // The service is stopped, its config rendered, and it does not start: reconfigure still says ok.
      this.serviceStatus[service] = "stopped";
      return { body: { status: "ok" } };
    }
    this.running[service] = this.snapshot(service);
    // A service disabled in its settings is stopped by reconfigure and stays so.
    if (this.serviceStatus[service] !== "disabled") this.serviceStatus[service] = "running";
    return { body: { status: "ok" } };
  }

  /**
   * `searchBase` + `UIModelGrid::fetch`: rows sorted (natural, case-insensitive) by the request's
   * `sort` or the endpoint's default, every search token found in some field (its `%` display text
   * first), the uuid searched only for a token that is a whole uuid, then `rowCount` rows of page
   * `current` (-1: all; 0 or another negative: none).
   */
  private search(call: Call, rows: Record<string, string>[], defaultSort: string): Answer {
    const param = (name: string): unknown =>
      call.method === "POST" ? call.body[name] : (call.query.get(name) ?? undefined);
    const tokens = String(param("searchPhrase") ?? "")
      .split(" ")
      .filter((t) => t !== "" && t !== "0");
    const withUuid = tokens.some((token) => UUID_V4.test(token));
    const sort = call.method === "POST" ? call.body.sort : undefined;
    const [sortKey, direction] =
      sort && typeof sort === "object" && !Array.isArray(sort) && Object.keys(sort).length > 0
        ? [Object.keys(sort)[0] as string, (sort as Record<string, unknown>)[Object.keys(sort)[0] as string]]
        : [defaultSort, "asc"];
    const natural = new Intl.Collator("en", { numeric: true, sensitivity: "base" });
    let ordered = rows;
    if (sortKey) {
      ordered = [...rows].sort((a, b) => natural.compare(a[sortKey] ?? "", b[sortKey] ?? ""));
      if (direction === "desc") ordered.reverse();
    }
    const matched = ordered.filter((row) => {
      const fields = Object.keys(row).filter((key) => !key.startsWith("%") && (key !== "uuid" || withUuid));
      return tokens.every((token) =>
        fields.some((field) => {
          const item = row[`%${field}`] ?? row[field] ?? "";
          // PHP empty(): "" and "0" never match.
          return item !== "" && item !== "0" && item.toLowerCase().includes(token.toLowerCase());
        }),
      );
    });
    const rowCount = Math.trunc(Number(param("rowCount") ?? -1)) || 0;
    const current = Math.trunc(Number(param("current") ?? 1)) || 0;
    const page =
      rowCount === -1
        ? matched
        : rowCount > 0
          ? matched.slice((current - 1) * rowCount, current * rowCount)
          : [];
    return { body: { rows: page, rowCount: page.length, total: matched.length, current } };
  }

  private subnetRows(): Record<string, string>[] {
    return [...this.keaSubnets].map(([uuid, s]) => ({
      uuid,
      subnet: s.subnet,
      pools: this.rowFormat === "modern" ? s.pools : s.pools.replace(/\n/g, ","),
      description: s.description,
      ...(this.rowFormat === "modern"
        ? { "option_data.routers": "", "option_data.domain_name_servers": "", "option_data.domain_name": "" }
        : {}),
    }));
  }

  private getSubnet(uuid: string | undefined): Answer {
    const record =
      uuid === undefined ? { subnet: "", pools: "", description: "" } : this.keaSubnets.get(uuid);
    if (!record) return { body: [] };
    return {
      body: {
        subnet4: {
          subnet: record.subnet,
          next_server: "",
          option_data_autocollect: "1",
          option_data: {
            domain_name_servers: listMap("", ","),
            domain_search: listMap("", ","),
            routers: listMap("", ","),
            static_routes: "",
            domain_name: "",
            ntp_servers: listMap("", ","),
            time_servers: listMap("", ","),
            tftp_server_name: "",
            boot_file_name: "",
            v6_only_preferred: "",
          },
          "match-client-id": "1",
          pools: record.pools,
          description: record.description,
        },
      },
    };
  }

  private reservationCollection(): Collection<KeaReservationRecord> {
    return {
      wrapper: "reservation",
      sortKey: "hw_address",
      service: "kea",
      items: this.keaReservations,
      blank: () => ({ subnet: "", ip_address: "", hw_address: "", hostname: "", description: "" }),
      validate: (uuid, record) => validateKeaReservation(uuid, record, this.keaSubnets, this.keaReservations),
      getView: (r) => ({
        ...r,
        subnet: Object.fromEntries(
          [...this.keaSubnets].map(([uuid, s]) => [
            uuid,
            { value: s.subnet, selected: uuid === r.subnet ? 1 : 0 },
          ]),
        ),
      }),
      row: (uuid, r) => {
        const cidr = this.keaSubnets.get(r.subnet)?.subnet ?? "";
        return this.rowFormat === "modern"
          ? { uuid, ...r, "%subnet": cidr, "option_data.routers": "", "option_data.domain_name_servers": "" }
          : { uuid, ...r, subnet: cidr };
      },
    };
  }

  private hostCollection(): Collection<DnsmasqHostRecord> {
    return {
      wrapper: "host",
      sortKey: "",
      service: "dnsmasq",
      items: this.dnsmasqHosts,
      blank: () => ({ host: "", domain: "", ip: "", hwaddr: "", client_id: "", descr: "", comments: "" }),
      validate: (uuid, record) => validateDnsmasqHost(uuid, record, this.dnsmasqHosts),
      getView: (h) => ({
        ...h,
        local: "0",
        ip: listMap(h.ip, ","),
        hwaddr: listMap(h.hwaddr, ","),
        cnames: listMap("", ","),
        aliases: listMap("", ","),
        lease_time: "",
        ignore: "0",
        set_tag: { "": { value: "None", selected: 1 } },
      }),
      row: (uuid, h) =>
        this.rowFormat === "modern"
          ? {
              uuid,
              ...h,
              local: "0",
              ignore: "0",
              set_tag: "",
              "%set_tag": "",
              "%local": "No",
              "%ignore": "No",
            }
          : { uuid, ...h, local: "No", ignore: "No", set_tag: "" },
    };
  }

  private builtinAlias(name: string, description: string): AliasRecord {
    return {
      enabled: "1",
      name,
      type: name.startsWith("__") ? "internal" : "external",
      proto: "",
      counters: "",
      updatefreq: "",
      content: "",
      categories: "",
      description,
    };
  }

  private aliasCollection(): Collection<AliasRecord> {
    const allNames = () =>
      new Map<string, string>([
        ...Object.keys(BUILTIN_ALIASES).map((name): [string, string] => [name, name]),
        ...[...this.aliases].map(([uuid, a]): [string, string] => [a.name, uuid]),
      ]);
    const row = (uuid: string, a: AliasRecord): Record<string, string> => {
      const label = ALIAS_TYPE_LABELS[a.type] ?? a.type;
      return this.rowFormat === "modern"
        ? { uuid, ...a, "%type": label, "%categories": "", "%enabled": a.enabled === "1" ? "Yes" : "No" }
        : { uuid, ...a, type: label, content: a.content.split("\n").join(",") };
    };
    return {
      wrapper: "alias",
      sortKey: "name",
      service: "alias",
      items: this.aliases,
      blank: () => ({
        enabled: "1",
        name: "",
        type: "",
        proto: "",
        counters: "0",
        updatefreq: "",
        content: "",
        categories: "",
        description: "",
      }),
      validate: (uuid, record) => validateAlias(uuid, record, allNames(), this.release),
      getView: (a) => {
        const selected = a.content.split("\n").filter((item) => item !== "");
        // The nested-alias picker: every other alias is offered, unselected (API.md §6.5).
        const others = Object.fromEntries(
          [...allNames().keys()]
            .filter((name) => name !== a.name && !selected.includes(name))
            .map((name) => [name, { value: name, selected: 0, description: "" }]),
        );
        return {
          ...a,
          type: Object.fromEntries(
            Object.entries(ALIAS_TYPE_LABELS).map(([k, v]) => [
              k,
              { value: v, selected: k === a.type ? 1 : 0 },
            ]),
          ),
          proto: {
            IPv4: { value: "IPv4", selected: a.proto.includes("IPv4") ? 1 : 0 },
            IPv6: { value: "IPv6", selected: a.proto.includes("IPv6") ? 1 : 0 },
          },
          content: { ...listMap(a.content, "\n"), ...others },
          categories: {},
        };
      },
      row,
      extraRows: () =>
        Object.entries(BUILTIN_ALIASES).map(([name, description]) =>
          row(name, this.builtinAlias(name, description)),
        ),
      inUse: (_uuid, a) =>
        this.aliasesInUse.has(a.name)
          ? `Cannot delete alias ${a.name}. Currently in use by Rule: allow shelly devices`
          : undefined,
    };
  }
}

/** Starts a simulator on loopback; `sim.address` is its base URL. */
export async function startOpnsense(options: OpnsenseSimOptions = {}): Promise<OpnsenseSim> {
  const sim = new OpnsenseSim(options);
  await sim.listen(options.host, options.port);
  return sim;
}
