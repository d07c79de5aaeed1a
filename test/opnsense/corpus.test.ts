// Inputs the real firewall refuses (its models: sim/opnsense/README.md cites each rule): every one
// is refused by the simulator with OPNsense's own message, and caught by `shelly-fleet validate`
// (loadFleet) before anything is written, in the file and under the key that caused it.
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadFleet } from "../../fleet";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";
import { writeFleet } from "../fleet/support";
import { post } from "./support";

const NAME_PATTERN =
  "The name must start with a letter or single underscore, be less than 32 characters and only consist of alphanumeric characters or underscores.";
const RESERVED = 'The name cannot be the internally reserved keyword "%s".';
const SERVICE = "Reserved protocol or service names may not be used";
const NOT_HOST = (entry: string) => `Entry "${entry}" is not a valid hostname, IP address or range.`;
const DESCRIPTION = "Description should be a string between 1 and 255 characters.";
const NEWLINES = "Text may not contain newlines.";

type Wire =
  | { object: "alias"; fields: Record<string, unknown> }
  | { object: "reservation"; fields: Record<string, unknown> };

interface Case {
  what: string;
  wire: Wire;
  /** `field: message(s)` as OPNsense answers, or the HTTP 500 of a value of the wrong JSON type. */
  refused: { field: string; messages: string | string[] } | { status: 500 };
  /** The device file (under devices/home/) that would lead to that request, and the key validate names. */
  device: { file?: string; toml: string; key: string };
  site?: string;
}

const alias = (fields: Record<string, unknown>): Wire => ({
  object: "alias",
  fields: { name: "shelly_all", type: "host", content: "10.0.30.21", ...fields },
});
const reservation = (fields: Record<string, unknown>): Wire => ({
  object: "reservation",
  fields: { ip_address: "10.0.30.21", hw_address: "aa:bb:cc:dd:ee:01", ...fields },
});
const inAlias = (name: string) => ({
  toml: `[network]\nip = "10.0.30.21"\naliases = ["${name}"]\n`,
  key: "network.aliases",
});
const atIp = (ip: string) => ({
  toml: `[network]\nip = "${ip}"\naliases = ["shelly_all"]\n`,
  key: "network.ip",
});

const nameCases: Case[] = [
  ...["state", "queue", "all", "table", "synproxy"].map(
    (name): Case => ({
      what: `pf keyword ${name}`,
      wire: alias({ name }),
      refused: { field: "alias.name", messages: RESERVED },
      device: inAlias(name),
    }),
  ),
  ...["www", "time", "ssh", "ntp", "syslog", "carp", "TCP", "vrrp"].map(
    (name): Case => ({
      what: `service or protocol name ${name}`,
      wire: alias({ name }),
      refused: { field: "alias.name", messages: SERVICE },
      device: inAlias(name),
    }),
  ),
  ...["1abc", "shelly-lights", "a".repeat(32)].map(
    (name): Case => ({
      what: `name pattern ${name.slice(0, 12)}`,
      wire: alias({ name }),
      refused: { field: "alias.name", messages: NAME_PATTERN },
      device: inAlias(name),
    }),
  ),
  {
    what: "route: a pf keyword and an alias in /etc/services (router 520/udp route routed)",
    wire: alias({ name: "route" }),
    refused: { field: "alias.name", messages: [RESERVED, SERVICE] },
    device: inAlias("route"),
  },
  {
    what: "a reserved word that also fails the pattern: both messages",
    wire: alias({ name: "round-robin" }),
    refused: { field: "alias.name", messages: [NAME_PATTERN, RESERVED] },
    device: inAlias("round-robin"),
  },
];

const contentCases: Case[] = ["10.0.30.300", "10.0.30", "my_host", "10.0.30.1,10.0.30.2", "!name"].map(
  (entry): Case => ({
    what: `host alias entry ${entry}`,
    wire: alias({ content: entry }),
    refused: { field: "alias.content", messages: NOT_HOST(entry) },
    device: atIp(entry),
  }),
);

const eAcute = "é".repeat(120);
const uUmlaut = "ü".repeat(120);
const otherCases: Case[] = [
  {
    what: "a reservation description over 255 bytes, under 255 characters (the device's file name)",
    wire: reservation({ description: `shelly-fleet home/${eAcute}` }),
    refused: { field: "reservation.description", messages: DESCRIPTION },
    device: { file: `${eAcute}.toml`, toml: '[network]\nip = "10.0.30.21"\n', key: "" },
  },
  {
    what: "an alias description over 255 bytes (the site's name)",
    wire: alias({ description: `shelly-fleet ${uUmlaut}: Shelly devices` }),
    refused: { field: "alias.description", messages: DESCRIPTION },
    device: inAlias("shelly_all"),
    site: uUmlaut,
  },
  {
    what: "a line break in a description (the device's file name)",
    wire: reservation({ description: "shelly-fleet home/a\nb" }),
    refused: { field: "reservation.description", messages: [NEWLINES, DESCRIPTION] },
    device: { file: "a\nb.toml", toml: '[network]\nip = "10.0.30.21"\n', key: "" },
  },
  {
    what: "a reserved address outside the Kea subnet",
    wire: reservation({ ip_address: "10.0.31.5" }),
    refused: { field: "reservation.ip_address", messages: "Address not in specified subnet" },
    device: { toml: '[network]\nip = "10.0.31.5"\n', key: "network.ip" },
  },
  {
    what: "an address with an octet over 255",
    wire: reservation({ ip_address: "10.0.30.256" }),
    refused: { field: "reservation.ip_address", messages: "Please specify a valid IP address." },
    device: { toml: '[network]\nip = "10.0.30.256"\n', key: "network.ip" },
  },
  {
    what: "a MAC of five octets",
    wire: reservation({ hw_address: "aa:bb:cc:dd:ee" }),
    refused: { field: "reservation.hw_address", messages: "Invalid MAC address." },
    device: { toml: 'mac = "aa:bb:cc:dd:ee"\n[network]\nip = "10.0.30.21"\n', key: "mac" },
  },
  {
    what: "alias content as a JSON array",
    wire: alias({ content: ["10.0.30.21"] }),
    refused: { status: 500 },
    device: { toml: '[network]\nip = ["10.0.30.21"]\naliases = ["shelly_all"]\n', key: "network.ip" },
  },
  {
    what: "a host name as a JSON array",
    wire: reservation({ hostname: ["garage"] }),
    refused: { status: 500 },
    device: { toml: '[network]\nip = "10.0.30.21"\nhostname = ["garage"]\n', key: "network.hostname" },
  },
];

const CORPUS = [...nameCases, ...contentCases, ...otherCases];

describe("inputs the firewall refuses: refused by the simulator, caught by validate", () => {
  let sim: OpnsenseSim;
  let subnet = "";
  beforeAll(async () => {
    sim = await startOpnsense({ keaSubnets: [{ subnet: "10.0.30.0/24" }] });
    subnet = [...sim.keaSubnets.keys()][0] as string;
  });
  afterAll(() => sim.close());

  test("the corpus holds at least 25 inputs", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(25);
  });

  test.each(CORPUS.map((c) => [c.what, c] as const))("%s", async (_what, c) => {
    const command = c.wire.object === "alias" ? "firewall/alias/add_item" : "kea/dhcpv4/add_reservation";
    const fields = c.wire.object === "reservation" ? { subnet, ...c.wire.fields } : c.wire.fields;
    const before = sim.revisions.length;
    const answer = await post(sim, command, { [c.wire.object]: fields });
    if ("status" in c.refused) {
      expect(answer.status).toBe(500);
      expect(answer.json).toEqual({ errorMessage: "Unexpected error, check log for details" });
    } else {
      expect(answer.status).toBe(200);
      const body = answer.json as { result: string; validations: Record<string, unknown> };
      expect(body.result).toBe("failed");
      expect(body.validations[c.refused.field]).toEqual(c.refused.messages);
    }
    expect(sim.revisions.length).toBe(before);

    const site = c.site ?? "home";
    const file = `devices/${site}/${c.device.file ?? "garage.toml"}`;
    const toml = c.device.toml.startsWith("mac") ? c.device.toml : `mac = "AABBCCDDEE01"\n${c.device.toml}`;
    const root = writeFleet({
      [`devices/${site}/site.toml`]: 'subnet = "10.0.30.0/24"\ndhcp_backend = "kea"\n',
      [file]: toml,
    });
    const errors = loadFleet({ root }).errors;
    expect(errors.filter((e) => e.file === file && e.keyPath === c.device.key)).not.toEqual([]);
  });

  test("booleans are stored as PHP casts them: true as 1, false as empty", async () => {
    const saved = await post(sim, "firewall/alias/add_item", {
      alias: { name: "shelly_bool", type: "host", content: "10.0.30.21", enabled: true, counters: false },
    });
    const uuid = (saved.json as { uuid: string }).uuid;
    expect(sim.aliases.get(uuid)).toMatchObject({ enabled: "1", counters: "" });
  });
});
