// The simulator against the reference captures (test/opnsense/fixtures, copied from
// ../shared/reference/opnsense/fixtures): it must answer like OPNsense, not like our client expects.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";
import { fixture, post, raw } from "./support";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const keysOf = (value: unknown) => Object.keys(value as object).sort();

describe("OPNsense simulator conformance", () => {
  let sim: OpnsenseSim;
  let subnet: string;

  beforeAll(async () => {
    sim = await startOpnsense();
  });
  afterAll(() => sim.close());
  beforeEach(() => {
    sim.keaSubnets.clear();
    sim.keaReservations.clear();
    sim.dnsmasqHosts.clear();
    sim.aliases.clear();
    sim.aliasesInUse.clear();
    sim.rowFormat = "modern";
    subnet = sim.addKeaSubnet({ subnet: "172.20.123.0/24", pools: "172.20.123.100 - 172.20.123.199" });
  });

  const addReservation = (fields: Record<string, string>) =>
    post(sim, "kea/dhcpv4/add_reservation", {
      reservation: {
        subnet,
        ip_address: "172.20.123.12",
        hw_address: "aa:aa:aa:aa:aa:aa",
        hostname: "flaf",
        description: "",
        ...fields,
      },
    });

  describe("transport envelopes (derived-from-source)", () => {
    test("bad credentials: 401 with OPNsense's body", async () => {
      const answer = await raw(sim, "GET", "kea/dhcpv4/search_reservation", {
        auth: `Basic ${Buffer.from(`${sim.key}:wrong`).toString("base64")}`,
      });
      expect(answer.status).toBe(401);
      expect(answer.json).toEqual(fixture("derived-from-source/error-401-authentication-failed.json"));
    });

    test("unknown endpoint, and set without its uuid: 404 Endpoint not found (24.7+)", async () => {
      for (const command of [
        "kea/dhcpv4/no_such_action",
        "firewall/nothing/here",
        "kea/dhcpv4/set_reservation",
      ]) {
        const answer = await raw(sim, "POST", command);
        expect(answer.status).toBe(404);
        expect(answer.json).toEqual(
          fixture("derived-from-source/error-404-endpoint-not-found-24.7plus.json"),
        );
      }
    });

    test("an empty JSON body is a 400; a non-JSON content type leaves the wrapper key missing", async () => {
      const empty = await raw(sim, "POST", "kea/dhcpv4/add_reservation", { body: "" });
      expect(empty.status).toBe(400);
      expect(empty.json).toEqual(fixture("derived-from-source/error-400-invalid-json-syntax.json"));
      const text = await raw(sim, "POST", "kea/dhcpv4/add_reservation", {
        body: JSON.stringify({ reservation: { subnet } }),
        contentType: "text/plain",
      });
      expect(text.json).toEqual(
        fixture("derived-from-source/kea-add_reservation-response-failed-missing-post-key.json"),
      );
    });

    test("snake_case, camelCase and lower-case command names reach the same action", async () => {
      for (const command of [
        "kea/dhcpv4/search_subnet",
        "kea/dhcpv4/searchSubnet",
        "kea/dhcpv4/searchsubnet",
      ]) {
        const answer = await raw(sim, "GET", command);
        expect(answer.status).toBe(200);
        expect((answer.json as { rows: unknown[] }).rows).toHaveLength(1);
      }
    });

    test("answers are PHP json_encode: application/json, slashes escaped", async () => {
      const answer = await raw(sim, "GET", "kea/dhcpv4/search_subnet");
      expect(answer.contentType).toBe("application/json; charset=UTF-8");
      expect(answer.text).toContain('"172.20.123.0\\/24"');
    });

    test("an injected 500 answers like an unexpected PHP error", async () => {
      sim.faults = { fail500: ["kea/dhcpv4/search_reservation"] };
      const answer = await raw(sim, "GET", "kea/dhcpv4/searchReservation");
      sim.faults = {};
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual(fixture("derived-from-source/error-500-unexpected-24.7plus.json"));
    });
  });

  describe("Kea DHCPv4", () => {
    test("search_subnet on an empty box equals the 25.1.7 capture", async () => {
      sim.keaSubnets.clear();
      const answer = await post(sim, "kea/dhcpv4/search_subnet", { current: 1, rowCount: 1000 });
      expect(answer.text).toBe(JSON.stringify(fixture("kea-search_subnet-response-empty-25.1.7.json")));
    });

    test("get_subnet without a uuid is the blank template of the 25.1.7 capture", async () => {
      const answer = await raw(sim, "GET", "kea/dhcpv4/get_subnet");
      expect(answer.json).toEqual(fixture("kea-get_subnet-response-blank-template-25.1.7.json"));
    });

    test("add answers saved with a v4 uuid; set answers saved without one", async () => {
      const added = await addReservation({});
      expect(keysOf(added.json)).toEqual(keysOf(fixture("docs-auth-group-add-response-saved.json")));
      const uuid = (added.json as { uuid: string }).uuid;
      expect(uuid).toMatch(UUID_V4);
      const set = await post(sim, `kea/dhcpv4/set_reservation/${uuid}`, {
        reservation: { hostname: "renamed" },
      });
      expect(set.json).toEqual(fixture("derived-from-source/kea-set_reservation-response-saved.json"));
      expect(sim.keaReservations.get(uuid)?.hostname).toBe("renamed");
      expect(sim.keaReservations.get(uuid)?.ip_address).toBe("172.20.123.12"); // fields not sent are kept
    });

    test("set with an unknown well-formed v4 uuid creates (upsert); any other id fails", async () => {
      const uuid = "0f8fad5b-d9cb-469f-a165-70867728950e";
      const body = {
        reservation: {
          subnet,
          ip_address: "172.20.123.13",
          hw_address: "aa:aa:aa:aa:aa:ab",
          hostname: "",
          description: "",
        },
      };
      expect((await post(sim, `kea/dhcpv4/set_reservation/${uuid}`, body)).json).toEqual({ result: "saved" });
      expect(sim.keaReservations.has(uuid)).toBe(true);
      const v5 = "74738ff5-5367-5958-9aee-98fffdcd1876";
      expect((await post(sim, `kea/dhcpv4/set_reservation/${v5}`, body)).json).toEqual(
        fixture("alias-set_item-response-failed-no-validations.json"),
      );
    });

    test("validations: IP outside the subnet, duplicate IP, duplicate MAC in any case", async () => {
      expect((await addReservation({ ip_address: "10.9.9.9" })).json).toEqual(
        fixture("derived-from-source/kea-add_reservation-response-failed-ip-not-in-subnet.json"),
      );
      await addReservation({});
      expect((await addReservation({ hw_address: "bb:bb:bb:bb:bb:bb" })).json).toEqual(
        fixture("derived-from-source/kea-add_reservation-response-failed-duplicate-ip-26.1plus.json"),
      );
      expect(
        (await addReservation({ ip_address: "172.20.123.14", hw_address: "AA:AA:AA:AA:AA:AA" })).json,
      ).toEqual({
        result: "failed",
        validations: { "reservation.hw_address": "Duplicate entry exists." },
      });
      expect((await addReservation({ ip_address: "172.20.123.15", hw_address: "aa:aa" })).json).toEqual({
        result: "failed",
        validations: { "reservation.hw_address": "Invalid MAC address." },
      });
    });

    test("get of an unknown uuid is [] ; del answers deleted, then not found", async () => {
      const unknown = await raw(
        sim,
        "GET",
        "kea/dhcpv4/get_reservation/0f8fad5b-d9cb-469f-a165-70867728950e",
      );
      expect(unknown.json).toEqual(
        fixture("derived-from-source/kea-get_reservation-response-unknown-uuid.json"),
      );
      const uuid = ((await addReservation({})).json as { uuid: string }).uuid;
      expect((await post(sim, `kea/dhcpv4/del_reservation/${uuid}`, {})).json).toEqual(
        fixture("alias-del_item-response-deleted.json"),
      );
      expect((await post(sim, `kea/dhcpv4/del_reservation/${uuid}`, {})).json).toEqual(
        fixture("alias-del_item-response-not-found.json"),
      );
    });

    test("search rows before 25.7 have the capture's keys and the subnet's CIDR", async () => {
      sim.rowFormat = "legacy";
      await addReservation({});
      const rows = (
        (await raw(sim, "GET", "kea/dhcpv4/search_reservation")).json as { rows: Record<string, string>[] }
      ).rows;
      const captured = (
        fixture("kea-search_reservation-response-pre25.7.json") as { rows: Record<string, string>[] }
      ).rows[0];
      expect(keysOf(rows[0])).toEqual(keysOf(captured));
      expect(rows[0]).toEqual({ ...captured, uuid: rows[0]?.uuid });
    });

    test("search rows from 25.7 hold the relation's uuid plus %field text and dotted keys, like the PD-pool capture", async () => {
      await addReservation({});
      const answer = (await raw(sim, "GET", "kea/dhcpv4/search_reservation")).json as Record<string, unknown>;
      const capture = fixture("kea-dhcpv6-search_pd_pool-response-26.x.json") as Record<string, unknown>;
      expect(keysOf(answer)).toEqual(keysOf(capture));
      const row = (answer.rows as Record<string, string>[])[0] as Record<string, string>;
      expect(row.subnet).toBe(subnet);
      expect(row["%subnet"]).toBe("172.20.123.0/24");
      expect(Object.keys(row).some((key) => key.startsWith("option_data."))).toBe(true);
      expect(Object.values(row).every((value) => typeof value === "string")).toBe(true);
    });

    test("get_reservation shows the subnet as an option map", async () => {
      const uuid = ((await addReservation({})).json as { uuid: string }).uuid;
      const answer = (await raw(sim, "GET", `kea/dhcpv4/get_reservation/${uuid}`)).json as {
        reservation: { subnet: Record<string, { value: string; selected: number }> };
      };
      expect(answer.reservation.subnet[subnet]).toEqual({ value: "172.20.123.0/24", selected: 1 });
    });

    test("reconfigure answers ok (POST only); status answers running", async () => {
      expect((await post(sim, "kea/service/reconfigure", {})).json).toEqual(
        fixture("derived-from-source/service-reconfigure-response-ok.json"),
      );
      expect((await raw(sim, "GET", "kea/service/reconfigure")).json).toEqual(
        fixture("alias-reconfigure-response-failed.json"),
      );
      expect((await raw(sim, "GET", "kea/service/status")).json).toEqual(
        fixture("derived-from-source/kea-service-status-response-running.json"),
      );
    });

    test("faults: a failing reconfigure is a 500 UserException; a service that does not come back still says ok", async () => {
      sim.faults = { reconfigure: { kea: { mode: "error", times: 1 } } };
      const failed = await post(sim, "kea/service/reconfigure", {});
      expect(failed.status).toBe(500);
      expect(keysOf(failed.json)).toEqual(["errorMessage", "errorTitle"]);
      sim.faults = { reconfigure: { kea: { mode: "stays-down" } } };
      expect((await post(sim, "kea/service/reconfigure", {})).json).toEqual({ status: "ok" });
      expect(((await raw(sim, "GET", "kea/service/status")).json as { status: string }).status).toBe(
        "stopped",
      );
      sim.faults = {};
      await post(sim, "kea/service/reconfigure", {});
      expect(((await raw(sim, "GET", "kea/service/status")).json as { status: string }).status).toBe(
        "running",
      );
    });

    test("the running configuration changes only on reconfigure", async () => {
      await post(sim, "kea/service/reconfigure", {});
      const before = sim.running.kea;
      await addReservation({});
      expect(sim.running.kea).toBe(before);
      await post(sim, "kea/service/reconfigure", {});
      expect(sim.running.kea).toBe(sim.snapshot("kea"));
    });
  });

  describe("dnsmasq hosts", () => {
    const addHost = (fields: Record<string, string>) =>
      post(sim, "dnsmasq/settings/add_host", {
        host: { host: "plug", ip: "10.0.30.5", hwaddr: "aa:bb:cc:dd:ee:01", ...fields },
      });

    test("add, get with list fields as option maps, duplicate DHCP IP refused", async () => {
      const uuid = ((await addHost({})).json as { uuid: string }).uuid;
      expect(uuid).toMatch(UUID_V4);
      const got = (await raw(sim, "GET", `dnsmasq/settings/get_host/${uuid}`)).json as {
        host: Record<string, unknown>;
      };
      expect(got.host.hwaddr).toEqual({ "aa:bb:cc:dd:ee:01": { value: "aa:bb:cc:dd:ee:01", selected: 1 } });
      expect((await addHost({ host: "other", hwaddr: "aa:bb:cc:dd:ee:02" })).json).toEqual({
        result: "failed",
        validations: { "host.ip": "'10.0.30.5' is already used in another DHCP host entry." },
      });
      expect((await addHost({ ip: "10.0.30.6,10.0.30.7", hwaddr: "aa:bb:cc:dd:ee:03" })).json).toEqual({
        result: "failed",
        validations: { "host.ip": "For IPv4 dhcp reservations, only a single address is allowed." },
      });
    });
  });

  describe("firewall aliases", () => {
    const addAlias = (fields: Record<string, string>) =>
      post(sim, "firewall/alias/add_item", {
        alias: { name: "shelly_lights", type: "host", content: "10.0.30.21", ...fields },
      });

    test("add, name taken, invalid content: the opn-cli fixtures", async () => {
      expect(keysOf((await addAlias({})).json)).toEqual(
        keysOf(fixture("alias-add_item-response-saved.json")),
      );
      expect((await addAlias({})).json).toEqual(
        fixture("alias-add_item-response-failed-validation-name-exists.json"),
      );
      expect((await addAlias({ name: "x_y", type: "networkgroup", content: "" })).json).toEqual({
        result: "saved",
        uuid: expect.any(String),
      });
      const bad = (await addAlias({ name: "bad_content", content: "not a host" })).json as {
        validations: Record<string, string>;
      };
      expect(bad.validations["alias.content"]).toBe(
        'Entry "not a host" is not a valid hostname, IP address or range.',
      );
    });

    test("name rules: pattern, reserved keywords (literal %s since 24.7), service names", async () => {
      const message = async (name: string) =>
        ((await addAlias({ name })).json as { validations?: Record<string, string> }).validations?.[
          "alias.name"
        ];
      expect(await message("__double")).toMatch(/^The name must start with a letter or single underscore/);
      expect(await message("a".repeat(32))).toMatch(/^The name must start/);
      expect(await message("any")).toBe('The name cannot be the internally reserved keyword "%s".');
      expect(await message("http")).toBe("Reserved protocol or service names may not be used");
    });

    test("release 24.1 puts the name into the reserved-keyword message; 24.7+ sends %s", async () => {
      const old = await startOpnsense({ release: "24.1" });
      try {
        const answer = await post(old, "firewall/alias/add_item", {
          alias: { name: "table", type: "host", content: "10.0.30.21" },
        });
        expect(answer.json).toEqual({
          result: "failed",
          validations: { "alias.name": 'The name cannot be the internally reserved keyword "table".' },
        });
      } finally {
        await old.close();
      }
    });

    test("get_alias_u_u_i_d by exact name, [] when missing; set and del like the fixtures", async () => {
      const uuid = ((await addAlias({})).json as { uuid: string }).uuid;
      expect((await raw(sim, "GET", "firewall/alias/get_alias_u_u_i_d/shelly_lights")).json).toEqual({
        uuid,
      });
      expect((await raw(sim, "GET", "firewall/alias/getAliasUUID/shelly_lights")).json).toEqual({ uuid });
      expect((await raw(sim, "GET", "firewall/alias/get_alias_u_u_i_d/shelly")).json).toEqual(
        fixture("derived-from-source/alias-get_alias_uuid-response-not-found.json"),
      );
      expect(
        (await post(sim, `firewall/alias/set_item/${uuid}`, { alias: { content: "10.0.30.22" } })).json,
      ).toEqual(fixture("alias-set_item-response-saved.json"));
      expect((await post(sim, `firewall/alias/del_item/${uuid}`, {})).json).toEqual(
        fixture("alias-del_item-response-deleted.json"),
      );
      expect((await post(sim, `firewall/alias/del_item/${uuid}`, {})).json).toEqual(
        fixture("alias-del_item-response-not-found.json"),
      );
    });

    test("the GUI's set_item body (26.x capture) is accepted; GUI-only keys are ignored", async () => {
      const uuid = ((await addAlias({ name: "ABCXYZ" })).json as { uuid: string }).uuid;
      const body = fixture("alias-set_item-request-gui-26.x.json") as { alias: Record<string, string> };
      body.alias.categories = "";
      expect((await post(sim, `firewall/alias/set_item/${uuid}`, body)).json).toEqual({ result: "saved" });
      expect(sim.aliases.get(uuid)?.content).toBe("12.23.34.0/24");
    });

    test("get_item: content is an option map with every other alias unselected; unknown uuid is a 500 (<= 26.1)", async () => {
      const uuid = ((await addAlias({ content: "10.0.30.21\n10.0.30.22" })).json as { uuid: string }).uuid;
      const item = (await raw(sim, "GET", `firewall/alias/get_item/${uuid}`)).json as {
        alias: { content: Record<string, { selected: number }>; type: Record<string, { selected: number }> };
      };
      const selected = Object.entries(item.alias.content)
        .filter(([, o]) => o.selected === 1)
        .map(([k]) => k);
      expect(selected).toEqual(["10.0.30.21", "10.0.30.22"]);
      expect(item.alias.content.bogons).toMatchObject({ selected: 0 });
      expect(item.alias.type.host).toMatchObject({ selected: 1 });
      expect(
        (await raw(sim, "GET", "firewall/alias/get_item/0f8fad5b-d9cb-469f-a165-70867728950e")).status,
      ).toBe(500);
    });

    test("export lists the built-in aliases with the fields of the opn-cli fixture, name as uuid", async () => {
      await addAlias({});
      const exported = (await raw(sim, "GET", "firewall/alias/export")).json as {
        aliases: { alias: Record<string, object> };
      };
      const captured = (
        fixture("alias-export-response.json") as { aliases: { alias: Record<string, object> } }
      ).aliases.alias;
      for (const name of ["bogons", "bogonsv6", "sshlockout", "virusprot"]) {
        expect(exported.aliases.alias[name]).toMatchObject({ name, uuid: name });
      }
      const ours = Object.values(exported.aliases.alias).find(
        (a) => (a as { name: string }).name === "shelly_lights",
      );
      // The fixture predates `categories` (23.1); every captured field is present.
      expect(keysOf(ours)).toEqual(
        expect.arrayContaining(keysOf(captured["23636461-dfd1-46cf-9d60-ee46f6aeb04a"])),
      );
    });

    test("deleting an alias in use fails with a 500 UserException; reconfigure is POST only", async () => {
      const uuid = ((await addAlias({})).json as { uuid: string }).uuid;
      sim.aliasesInUse.add("shelly_lights");
      const answer = await post(sim, `firewall/alias/del_item/${uuid}`, {});
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({
        errorMessage: expect.stringMatching(/^Cannot delete alias shelly_lights\. Currently in use by/),
        errorTitle: "Alias in use",
      });
      expect((await post(sim, "firewall/alias/reconfigure", {})).json).toEqual(
        fixture("alias-reconfigure-response-ok.json"),
      );
      expect((await raw(sim, "GET", "firewall/alias/reconfigure")).json).toEqual(
        fixture("alias-reconfigure-response-failed.json"),
      );
    });
  });

  describe("config backups", () => {
    test("every save adds a revision; download/this is the config.xml as an attachment", async () => {
      const before = sim.revisions.length;
      await addReservation({});
      expect(sim.revisions.length).toBe(before + 1);
      const listed = (await raw(sim, "GET", "core/backup/backups/this")).json as { items: { id: string }[] };
      expect(listed.items[0]?.id).toMatch(/^config-[\d.]+\.xml$/);
      const download = await raw(sim, "GET", "core/backup/download/this");
      expect(download.contentType).toBe("application/octet-stream");
      expect(download.text).toMatch(/^<\?xml version="1.0"\?>\n<opnsense>/);
      expect(download.text).toContain("aa:aa:aa:aa:aa:aa");
    });
  });

  describe("search (searchBase + UIModelGrid::fetch)", () => {
    const names = ["shelly_b10", "shelly_b9", "Shelly_a"];
    const search = async (body: Record<string, unknown>) =>
      (await post(sim, "firewall/alias/search_item", { searchPhrase: "shelly_", ...body })).json as {
        rows: { uuid: string; name: string }[];
        rowCount: number;
        total: number;
      };
    beforeEach(async () => {
      sim.aliases.clear();
      for (const name of names) {
        await post(sim, "firewall/alias/add_item", { alias: { name, type: "host", content: "10.0.30.2" } });
      }
    });

    test("sorted naturally and case-insensitively by the default field, or by the request's sort", async () => {
      expect((await search({})).rows.map((r) => r.name)).toEqual(["Shelly_a", "shelly_b9", "shelly_b10"]);
      expect((await search({ sort: { name: "desc" } })).rows.map((r) => r.name)).toEqual([
        "shelly_b10",
        "shelly_b9",
        "Shelly_a",
      ]);
    });

    test("rowCount -1 is every row, 0 none; pages by current", async () => {
      expect((await search({ rowCount: -1 })).rowCount).toBe(3);
      expect(await search({ rowCount: 0 })).toMatchObject({ rows: [], rowCount: 0, total: 3 });
      const second = await search({ rowCount: 2, current: 2 });
      expect(second.rows.map((r) => r.name)).toEqual(["shelly_b10"]);
    });

    test("a uuid matches only whole, never by a fragment", async () => {
      const uuid = [...sim.aliases.keys()][0] as string;
      const byUuid = (phrase: string) => search({ searchPhrase: phrase });
      expect((await byUuid(uuid)).rows.map((r) => r.uuid)).toEqual([uuid]);
      expect((await byUuid(uuid.slice(0, 8))).rows).toEqual([]);
    });
  });
});
