// Typed calls for the objects shelly-fleet manages: Kea DHCPv4 reservations, dnsmasq DHCP hosts,
// firewall aliases, service reconfigure and status, and the config backup. Search rows of both
// formats (≤25.1 display text, 25.7+ raw values) come out in one normalized shape (API.md §2.4).
import { OpnsenseHttpError, OpnsenseNotFoundError, OpnsenseValidationError } from "./errors";
import { type OpnsenseConnection, OpnsenseHttp, type OpnsenseTransportOptions } from "./http";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export type DhcpService = "kea" | "dnsmasq";
export type ReconfigurableService = DhcpService | "alias";
export type ServiceStatus = "running" | "stopped" | "disabled" | "unknown";

export interface KeaSubnet {
  uuid: string;
  subnet: string;
}

export interface KeaReservation {
  uuid: string;
  /** The subnet's uuid (resolved from its CIDR on ≤25.1 rows). */
  subnet: string;
  ip: string;
  /** As stored: OPNsense keeps the spelling it was sent. */
  mac: string;
  hostname: string;
  description: string;
}

export interface DnsmasqHost {
  uuid: string;
  hostname: string;
  ips: string[];
  macs: string[];
  description: string;
}

export interface FirewallAliasItem {
  uuid: string;
  name: string;
  type: string;
  enabled: boolean;
  content: string[];
  description: string;
}

type Row = Record<string, unknown>;
type OptionMap = Record<string, { value?: unknown; selected?: unknown }>;

const str = (value: unknown): string => (value === undefined || value === null ? "" : String(value));
const list = (value: unknown): string[] =>
  str(value)
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item !== "");

/** Every field of an item as `set_<x>` takes it back (a `get_<x>` answer): lists joined by `separator`. */
export type ItemFields = Record<string, unknown>;

function isOptionMap(value: object): boolean {
  return Object.values(value).every(
    (option) => option !== null && typeof option === "object" && "selected" in option,
  );
}

/** A `get_<x>` view turned into a `set_<x>` body: option maps become their selected keys. */
export function settableFields(view: Record<string, unknown>, separator = ","): ItemFields {
  return Object.fromEntries(
    Object.entries(view)
      // `%field` display texts (25.7+) are not fields.
      .filter(([key]) => !key.startsWith("%"))
      .map(([key, value]) => {
        if (value === null || typeof value !== "object") return [key, str(value)];
        // An option list with nothing to choose from is `{}` in get, a single value in set.
        if (Object.keys(value).length === 0 || isOptionMap(value))
          return [key, selectedKeys(value).join(separator)];
        return [key, settableFields(value as Record<string, unknown>, separator)];
      }),
  );
}

/** The selected keys of an option map (`get_*` answers), without the `""` of an empty list. */
export function selectedKeys(value: unknown): string[] {
  if (typeof value === "string") return value === "" ? [] : [value];
  if (!value || typeof value !== "object") return [];
  return Object.entries(value as OptionMap)
    .filter(
      ([key, option]) =>
        key !== "" && (option?.selected === 1 || option?.selected === "1" || option?.selected === true),
    )
    .map(([key]) => key);
}

const SERVICE_PREFIX: Record<ReconfigurableService, string> = {
  kea: "kea/service",
  dnsmasq: "dnsmasq/service",
  alias: "firewall/alias",
};

export interface OpnsenseClientOptions extends OpnsenseTransportOptions {
  /**
   * Search each list (Kea subnets and reservations, dnsmasq hosts) once for the life of this client
   * and keep it current with the client's own writes: one run's N decisions then cost one search,
   * not N. Changes made by others during the run are not seen.
   */
  cacheReads?: boolean;
}

type ListKey = "kea-subnets" | "kea-reservations" | "dnsmasq-hosts";

export class OpnsenseClient {
  readonly http: OpnsenseHttp;
  private readonly cacheReads: boolean;
  private readonly lists = new Map<ListKey, Promise<Map<string, { uuid: string }>>>();

  constructor(connection: OpnsenseConnection, options: OpnsenseClientOptions = {}) {
    this.http = new OpnsenseHttp(connection, options);
    this.cacheReads = options.cacheReads ?? false;
  }

  /** The list, searched on first use when reads are cached. */
  private async cachedList<T extends { uuid: string }>(key: ListKey, load: () => Promise<T[]>): Promise<T[]> {
    if (!this.cacheReads) return load();
    let list = this.lists.get(key);
    if (!list) {
      list = load().then((items) => new Map(items.map((item) => [item.uuid, item])));
      this.lists.set(key, list);
      // A failed search is tried again by the next caller.
      list.catch(() => this.lists.delete(key));
    }
    // Items are replaced on a write, never changed in place: callers may share them, not mutate them.
    return [...(await list).values()] as T[];
  }

  /**
   * A write to one item of a cached list: on success the list holds `after` (undefined: deleted);
   * on any failure the list is searched again, since the firewall may have applied the write.
   */
  private async writeThrough<R>(
    key: ListKey,
    uuidOf: (result: R) => string,
    write: () => Promise<R>,
    after: (uuid: string) => { uuid: string } | undefined,
  ): Promise<R> {
    let result: R;
    try {
      result = await write();
    } catch (error) {
      this.lists.delete(key);
      throw error;
    }
    const list = this.lists.get(key);
    if (list) {
      const uuid = uuidOf(result);
      const item = after(uuid);
      const items = await list.catch(() => undefined);
      if (items) {
        if (item) items.set(uuid, item);
        else items.delete(uuid);
      }
    }
    return result;
  }

  get url(): string {
    return this.http.url;
  }

  private async search(command: string): Promise<Row[]> {
    const body = (await this.http.json("POST", command, {
      body: { current: 1, rowCount: -1, sort: {}, searchPhrase: "" },
      read: true,
    })) as { rows?: unknown };
    if (!Array.isArray(body.rows)) {
      throw new OpnsenseHttpError(200, "the search answer has no rows", {
        url: this.url,
        call: `POST ${command}`,
      });
    }
    return body.rows as Row[];
  }

  /**
   * add/set/del: success and failure both arrive as HTTP 200 (API.md §2.3). Returns the new uuid of an add.
   */
  private async mutate(command: string, object: string, body: unknown): Promise<string | undefined> {
    const context = { url: this.url, call: `POST ${command}` };
    const answer = (await this.http.json("POST", command, { body, read: false })) as {
      result?: unknown;
      uuid?: unknown;
      validations?: Record<string, string | string[]>;
    };
    switch (answer.result) {
      case "saved":
      case "deleted":
        return typeof answer.uuid === "string" ? answer.uuid : undefined;
      case "failed": {
        const validations = Object.fromEntries(
          Object.entries(answer.validations ?? {}).map(([key, messages]) => [
            key.slice(key.indexOf(".") + 1),
            Array.isArray(messages) ? messages.map(str) : [str(messages)],
          ]),
        );
        throw new OpnsenseValidationError(object, validations, context);
      }
      case "not found":
        throw new OpnsenseNotFoundError(`the ${object} does not exist`, context);
      default:
        throw new OpnsenseHttpError(200, `unexpected result ${JSON.stringify(answer.result)}`, context);
    }
  }

  /** Every field of one item (undefined when it is gone), to put back exactly as it was. */
  private async itemFields(command: string, wrapper: string): Promise<ItemFields | undefined> {
    const body = (await this.http.json("GET", command, { read: true })) as Record<string, unknown>;
    const view = body?.[wrapper];
    if (!view || typeof view !== "object") return undefined;
    return settableFields(view as Record<string, unknown>);
  }

  // --- Kea DHCPv4 ------------------------------------------------------------------------------

  async keaSubnets(): Promise<KeaSubnet[]> {
    return this.cachedList("kea-subnets", async () => {
      const rows = await this.search("kea/dhcpv4/search_subnet");
      return rows.map((row) => ({ uuid: str(row.uuid), subnet: str(row.subnet) }));
    });
  }

  async keaReservations(): Promise<KeaReservation[]> {
    return this.cachedList("kea-reservations", () => this.searchKeaReservations());
  }

  private async searchKeaReservations(): Promise<KeaReservation[]> {
    const [rows, subnets] = await Promise.all([
      this.search("kea/dhcpv4/search_reservation"),
      this.keaSubnets(),
    ]);
    const byCidr = new Map(subnets.map((s) => [s.subnet, s.uuid]));
    return rows.map((row) => {
      const subnet = str(row.subnet);
      return {
        uuid: str(row.uuid),
        // 25.7+ rows hold the relation's uuid; ≤25.1 rows its display text, the CIDR.
        subnet: UUID.test(subnet) ? subnet : (byCidr.get(subnet) ?? ""),
        ip: str(row.ip_address),
        mac: str(row.hw_address),
        hostname: str(row.hostname),
        description: str(row.description),
      };
    });
  }

  /** Creates with `set_reservation/<uuid>` when `uuid` is given (upsert), else `add_reservation`. */
  async putKeaReservation(reservation: Omit<KeaReservation, "uuid">, uuid?: string): Promise<string> {
    const body = {
      reservation: {
        subnet: reservation.subnet,
        ip_address: reservation.ip,
        hw_address: reservation.mac,
        hostname: reservation.hostname,
        description: reservation.description,
      },
    };
    return this.writeThrough(
      "kea-reservations",
      (id) => id,
      () =>
        this.addOrSet("kea/dhcpv4/add_reservation", "kea/dhcpv4/set_reservation", "reservation", body, uuid),
      (id) => ({ uuid: id, ...reservation }),
    );
  }

  /** `set_<x>/<uuid>` (an upsert) when the uuid is known, else `add_<x>`; the item's uuid. */
  private async addOrSet(
    add: string,
    set: string,
    object: string,
    body: unknown,
    uuid: string | undefined,
  ): Promise<string> {
    if (uuid !== undefined) {
      await this.mutate(`${set}/${uuid}`, object, body);
      return uuid;
    }
    const created = await this.mutate(add, object, body);
    if (!created)
      throw new OpnsenseHttpError(200, "add answered without a uuid", { url: this.url, call: `POST ${add}` });
    return created;
  }

  async keaReservationFields(uuid: string): Promise<ItemFields | undefined> {
    return this.itemFields(`kea/dhcpv4/get_reservation/${uuid}`, "reservation");
  }

  /** Puts back what `keaReservationFields` read (an upsert: recreates it under its uuid). */
  async restoreKeaReservation(fields: ItemFields, uuid: string): Promise<void> {
    await this.writeThrough(
      "kea-reservations",
      () => uuid,
      () => this.mutate(`kea/dhcpv4/set_reservation/${uuid}`, "reservation", { reservation: fields }),
      () => ({
        uuid,
        subnet: str(fields.subnet),
        ip: str(fields.ip_address),
        mac: str(fields.hw_address),
        hostname: str(fields.hostname),
        description: str(fields.description),
      }),
    );
  }

  async deleteKeaReservation(uuid: string): Promise<void> {
    await this.writeThrough(
      "kea-reservations",
      () => uuid,
      () => this.mutate(`kea/dhcpv4/del_reservation/${uuid}`, "reservation", {}),
      () => undefined,
    );
  }

  // --- dnsmasq hosts ---------------------------------------------------------------------------

  async dnsmasqHosts(): Promise<DnsmasqHost[]> {
    return this.cachedList("dnsmasq-hosts", async () => {
      const rows = await this.search("dnsmasq/settings/search_host");
      return rows.map((row) => ({
        uuid: str(row.uuid),
        hostname: str(row.host),
        ips: list(row.ip),
        macs: list(row.hwaddr),
        description: str(row.descr),
      }));
    });
  }

  async putDnsmasqHost(host: Omit<DnsmasqHost, "uuid">, uuid?: string): Promise<string> {
    const body = {
      host: {
        host: host.hostname,
        ip: host.ips.join(","),
        hwaddr: host.macs.join(","),
        descr: host.description,
      },
    };
    return this.writeThrough(
      "dnsmasq-hosts",
      (id) => id,
      () => this.addOrSet("dnsmasq/settings/add_host", "dnsmasq/settings/set_host", "host", body, uuid),
      (id) => ({ uuid: id, ...host, ips: [...host.ips], macs: [...host.macs] }),
    );
  }

  async dnsmasqHostFields(uuid: string): Promise<ItemFields | undefined> {
    return this.itemFields(`dnsmasq/settings/get_host/${uuid}`, "host");
  }

  /** Puts back what `dnsmasqHostFields` read: every address, MAC and setting of the host. */
  async restoreDnsmasqHost(fields: ItemFields, uuid: string): Promise<void> {
    await this.writeThrough(
      "dnsmasq-hosts",
      () => uuid,
      () => this.mutate(`dnsmasq/settings/set_host/${uuid}`, "host", { host: fields }),
      () => ({
        uuid,
        hostname: str(fields.host),
        ips: list(fields.ip),
        macs: list(fields.hwaddr),
        description: str(fields.descr),
      }),
    );
  }

  async deleteDnsmasqHost(uuid: string): Promise<void> {
    await this.writeThrough(
      "dnsmasq-hosts",
      () => uuid,
      () => this.mutate(`dnsmasq/settings/del_host/${uuid}`, "host", {}),
      () => undefined,
    );
  }

  // --- firewall aliases ------------------------------------------------------------------------

  /** Exact name match; undefined when there is no such alias. */
  async aliasUuid(name: string): Promise<string | undefined> {
    const body = await this.http.json("GET", `firewall/alias/get_alias_u_u_i_d/${encodeURIComponent(name)}`, {
      read: true,
    });
    const uuid = (body as { uuid?: unknown }).uuid;
    return typeof uuid === "string" && uuid !== "" ? uuid : undefined;
  }

  /** Ask `aliasUuid` first: on ≤26.1 an unknown uuid is an HTTP 500 (API.md §6.5). */
  async alias(uuid: string): Promise<FirewallAliasItem | undefined> {
    const body = (await this.http.json("GET", `firewall/alias/get_item/${uuid}`, { read: true })) as {
      alias?: Record<string, unknown>;
    };
    const alias = body.alias;
    if (!alias || alias.name === undefined) return undefined;
    return {
      uuid,
      name: str(alias.name),
      type: selectedKeys(alias.type)[0] ?? "",
      enabled: str(alias.enabled) === "1",
      content: selectedKeys(alias.content),
      description: str(alias.description),
    };
  }

  async putAlias(alias: Omit<FirewallAliasItem, "uuid">, uuid?: string): Promise<string> {
    const body = {
      alias: {
        enabled: alias.enabled ? "1" : "0",
        name: alias.name,
        type: alias.type,
        content: alias.content.join("\n"),
        description: alias.description,
      },
    };
    return this.addOrSet("firewall/alias/add_item", "firewall/alias/set_item", "alias", body, uuid);
  }

  async deleteAlias(uuid: string): Promise<void> {
    await this.mutate(`firewall/alias/del_item/${uuid}`, "alias", {});
  }

  // --- services and backups --------------------------------------------------------------------

  /** `{"status":"ok"}` means the request ran, not that the service came up: check `serviceStatus`. */
  async reconfigure(service: ReconfigurableService): Promise<void> {
    const command = `${SERVICE_PREFIX[service]}/reconfigure`;
    const body = (await this.http.json("POST", command, { body: {}, read: false })) as { status?: unknown };
    if (str(body.status).toLowerCase() !== "ok") {
      throw new OpnsenseHttpError(200, `reconfigure answered status ${JSON.stringify(body.status)}`, {
        url: this.url,
        call: `POST ${command}`,
      });
    }
  }

  async serviceStatus(service: DhcpService): Promise<ServiceStatus> {
    const body = (await this.http.json("GET", `${SERVICE_PREFIX[service]}/status`, { read: true })) as {
      status?: unknown;
    };
    const status = str(body.status);
    return (["running", "stopped", "disabled"].includes(status) ? status : "unknown") as ServiceStatus;
  }

  /** The whole config.xml as it is now (it holds password hashes and keys: store it privately). */
  async downloadConfig(): Promise<string> {
    const response = await this.http.call("GET", "core/backup/download/this", { read: true });
    if (!response.text.includes("<opnsense")) {
      throw new OpnsenseHttpError(200, "the backup download is not a config.xml", {
        url: this.url,
        call: "GET core/backup/download/this",
      });
    }
    return response.text;
  }
}
