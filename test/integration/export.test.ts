// export from the files: every format read back by a parser, and checked by the real DHCP
// servers' syntax checks (dnsmasq --test, kea-dhcp4 -t, dhcpd -t) where they can be installed.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import Ajv from "ajv";
import { parse } from "smol-toml";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { csvField } from "../../cli/export-formats";
import { runCli } from "../support/cli";
import { runChecker, syntaxCheckers } from "../support/syntax-checkers";

const FILES: Record<string, string> = {
  "devices/home/site.toml":
    'subnet = "10.0.20.0/24"\ndhcp_pool = { start = "10.0.20.100", end = "10.0.20.199" }\ndhcp_backend = "kea"\nprofiles = ["base"]\n',
  "devices/lab/site.toml": 'subnet = "192.168.7.0/24"\ndhcp_backend = "dnsmasq"\n',
  "profiles/base.toml": 'tags = ["managed"]\n[cloud]\nenabled = false\n',
  "devices/home/kitchen.toml":
    'mac = "AA:BB:CC:DD:EE:01"\naddress = "10.0.20.11"\nmodel = "SNSW-001P16EU"\ntags = ["lights"]\n[network]\nip = "10.0.20.11"\nhostname = "kitchen-light"\n[[switch]]\nid = 0\nname = "Kitchen"\n',
  "devices/home/porch.toml": 'mac = "AABBCCDDEE02"\naddress = "10.0.20.12"\ntags = ["lights", "outdoor"]\n',
  // Reached through a port forward: no IP of its own, so DHCP and hosts formats leave it out.
  "devices/home/attic.toml": 'mac = "AABBCCDDEE03"\naddress = "attic.lan:8080"\n',
  "devices/lab/bench_1.toml":
    'mac = "AABBCCDDEE04"\naddress = "192.168.7.20"\n[network]\nip = "192.168.7.20"\n',
};

let root: string;
const exported = async (...args: string[]) => {
  const result = await runCli(["export", "--root", root, ...args]);
  expect(result.code, result.stderr).toBe(0);
  return result;
};

beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), "export-"));
  for (const [relative, text] of Object.entries(FILES)) {
    fs.mkdirSync(path.dirname(path.join(root, relative)), { recursive: true });
    fs.writeFileSync(path.join(root, relative), text);
  }
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

/** RFC 4180, read strictly: quoted fields with doubled quotes, CRLF rows. */
function parseCsv(text: string): string[][] {
  expect(text.endsWith("\r\n")).toBe(true);
  const rows: string[][] = [];
  let row: string[] = [];
  let i = 0;
  while (i < text.length) {
    let field = "";
    if (text[i] === '"') {
      for (i++; !(text[i] === '"' && text[i + 1] !== '"'); i++) {
        if (text[i] === '"') i++;
        field += text[i];
      }
      i++;
    } else {
      while (i < text.length && text[i] !== "," && text[i] !== "\r") field += text[i++];
    }
    row.push(field);
    if (text[i] === ",") i++;
    else {
      expect(text.slice(i, i + 2)).toBe("\r\n");
      i += 2;
      rows.push(row);
      row = [];
    }
  }
  return rows;
}

describe("export from the files", () => {
  test("json: every device with its merged profiles, tags and configuration", async () => {
    const devices = JSON.parse((await exported("--format", "json")).stdout);
    expect(devices.map((d: { name: string }) => d.name)).toEqual(["attic", "kitchen", "porch", "bench_1"]);
    const kitchen = devices[1];
    expect(kitchen).toMatchObject({
      site: "home",
      mac: "AABBCCDDEE01",
      ip: "10.0.20.11",
      hostname: "kitchen-light",
      model: "SNSW-001P16EU",
      generation: 2,
      profiles: ["base"],
      tags: ["lights", "managed"],
      config: { cloud: { enabled: false }, switch: [{ id: 0, name: "Kitchen" }] },
    });
  });

  test("--tag keeps the devices with any of the tags; --site one site", async () => {
    const names = async (...args: string[]) =>
      JSON.parse((await exported("--format", "json", ...args)).stdout).map((d: { name: string }) => d.name);
    expect(await names("--tag", "outdoor")).toEqual(["porch"]);
    expect(await names("--tag", "outdoor", "--tag", "lights")).toEqual(["kitchen", "porch"]);
    expect(await names("--site", "lab")).toEqual(["bench_1"]);
    expect(await names("--tag", "nothing-has-it")).toEqual([]);
  });

  test("csv: documented columns, RFC 4180", async () => {
    const rows = parseCsv((await exported("--format", "csv")).stdout);
    expect(rows[0]).toEqual([
      "site",
      "name",
      "mac",
      "ip",
      "hostname",
      "address",
      "model",
      "generation",
      "profiles",
      "tags",
      "reachable",
      "firmware",
    ]);
    expect(rows).toHaveLength(5);
    expect(rows[2]).toEqual([
      "home",
      "kitchen",
      "aa:bb:cc:dd:ee:01",
      "10.0.20.11",
      "kitchen-light",
      "10.0.20.11",
      "SNSW-001P16EU",
      "2",
      "base",
      "lights managed",
      "",
      "",
    ]);
    expect(csvField('a "b", c')).toBe('"a ""b"", c"');
    expect(parseCsv(`${csvField('a "b", c')},${csvField("x\r\ny")}\r\n`)).toEqual([['a "b", c', "x\r\ny"]]);
  });

  test("toml: one device file per device that validate accepts as a fleet", async () => {
    const out = path.join(root, "..", `${path.basename(root)}-toml`);
    const result = await exported("--format", "toml", "--out", out, "--commit");
    expect(result.stdout).toMatch(/^wrote toml for 4 devices to 4 files under .*\ncommitted [0-9a-f]{7}\n$/);
    const kitchen = parse(fs.readFileSync(path.join(out, "home", "kitchen.toml"), "utf8"));
    expect(kitchen).toMatchObject({
      mac: "AABBCCDDEE01",
      tags: ["lights", "managed"],
      cloud: { enabled: false },
    });
    // The files are a fleet of their own: validate reads them without an error.
    fs.renameSync(path.join(out, "home"), path.join(out, "devices-home"));
    fs.mkdirSync(path.join(out, "devices"));
    fs.renameSync(path.join(out, "devices-home"), path.join(out, "devices", "home"));
    const validate = await runCli(["validate", "--root", out]);
    expect(validate.stdout + validate.stderr).toMatch(/^ok: 3 devices in 1 site\n$/);
    // Unchanged a second time: nothing to commit.
    fs.rmSync(path.join(out, "devices"), { recursive: true });
    const again = await exported("--format", "toml", "--out", out, "--commit");
    expect(again.stdout).toMatch(/\nnothing changed: no commit\n$/);
    fs.rmSync(out, { recursive: true, force: true });
  });

  test("hosts: IP and names; devices without an IP are left out and named", async () => {
    const result = await exported("--format", "hosts");
    const entries = result.stdout
      .split("\n")
      .filter((line) => line !== "" && !line.startsWith("#"))
      .map((line) => line.replace(/\s*#.*$/, "").split(/\s+/));
    expect(entries).toEqual([
      ["10.0.20.11", "kitchen-light", "kitchen"],
      ["10.0.20.12", "porch"],
      // bench_1 is no host name (underscore): its line is a comment.
    ]);
    expect(result.stdout).toMatch(/^# 192\.168\.7\.20: lab\/bench_1 has no valid host name$/m);
    expect(result.stderr).toBe("left out: home/attic: no IP address\n");
  });

  test("prometheus-sd: file_sd target groups with site, device, profiles and tags", async () => {
    const groups = JSON.parse((await exported("--format", "prometheus-sd")).stdout);
    const fileSd = {
      type: "array",
      items: {
        type: "object",
        required: ["targets", "labels"],
        additionalProperties: false,
        properties: {
          targets: { type: "array", items: { type: "string", pattern: "^[^/]+$" }, minItems: 1 },
          // Label names as Prometheus accepts them; values are strings.
          labels: {
            type: "object",
            propertyNames: { pattern: "^[a-zA-Z_][a-zA-Z0-9_]*$" },
            additionalProperties: { type: "string" },
          },
        },
      },
    };
    const validate = new Ajv().compile(fileSd);
    expect(validate(groups), JSON.stringify(validate.errors)).toBe(true);
    expect(groups[2]).toEqual({
      targets: ["10.0.20.12"],
      labels: {
        site: "home",
        device: "porch",
        mac: "aa:bb:cc:dd:ee:02",
        profiles: ",base,",
        tags: ",lights,managed,outdoor,",
      },
    });
    expect(groups[0].targets).toEqual(["attic.lan:8080"]);
  });
});

describe("DHCP formats and the servers' own syntax checks", () => {
  const checkers = syntaxCheckers();
  const real = checkers.available ? "" : ` (${checkers.reason}: checked by the parser here only)`;
  const write = (name: string, text: string) => {
    const file = path.join(root, name);
    fs.writeFileSync(file, text);
    return file;
  };

  test(`dnsmasq: one dhcp-host line per device with an IP${real}`, async () => {
    const text = (await exported("--format", "dnsmasq")).stdout;
    const lines = text.split("\n").filter((line) => line.startsWith("dhcp-host="));
    expect(lines.map((line) => line.replace(/\s+#.*$/, ""))).toEqual([
      "dhcp-host=aa:bb:cc:dd:ee:01,10.0.20.11,kitchen-light",
      "dhcp-host=aa:bb:cc:dd:ee:02,10.0.20.12,porch",
      "dhcp-host=aa:bb:cc:dd:ee:04,192.168.7.20",
    ]);
    if (!checkers.available) return;
    expect(runChecker("dnsmasq", ["--test", "-C", write("dnsmasq.conf", text)])).toMatchObject({ code: 0 });
    // The check is real: a broken line fails it.
    const broken = write("broken.conf", `${text}dhcp-host=aa:bb:cc:dd:ee:09,10.0.20.19,not_a_host!\n`);
    expect(runChecker("dnsmasq", ["--test", "-C", broken]).code).not.toBe(0);
  });

  test(`kea: a Dhcp4 configuration with each site's subnet, pool and reservations${real}`, async () => {
    const text = (await exported("--format", "kea")).stdout;
    const config = JSON.parse(text);
    expect(config.Dhcp4.subnet4).toEqual([
      {
        id: 1,
        subnet: "10.0.20.0/24",
        "user-context": { "shelly-fleet-site": "home" },
        pools: [{ pool: "10.0.20.100 - 10.0.20.199" }],
        reservations: [
          { "hw-address": "aa:bb:cc:dd:ee:01", "ip-address": "10.0.20.11", hostname: "kitchen-light" },
          { "hw-address": "aa:bb:cc:dd:ee:02", "ip-address": "10.0.20.12", hostname: "porch" },
        ],
      },
      {
        id: 2,
        subnet: "192.168.7.0/24",
        "user-context": { "shelly-fleet-site": "lab" },
        pools: [],
        reservations: [{ "hw-address": "aa:bb:cc:dd:ee:04", "ip-address": "192.168.7.20" }],
      },
    ]);
    if (!checkers.available) return;
    const checked = runChecker("kea-dhcp4", ["-t", write("kea.json", text)]);
    expect(checked.code, checked.output).toBe(0);
    config.Dhcp4.subnet4[0].reservations[0]["ip-address"] = "10.0.99.1";
    expect(runChecker("kea-dhcp4", ["-t", write("kea-broken.json", JSON.stringify(config))]).code).not.toBe(
      0,
    );
  });

  test(`isc-dhcpd: subnets and host blocks${real}`, async () => {
    const text = (await exported("--format", "isc-dhcpd")).stdout;
    // The parser here: balanced blocks, each statement ended by ";".
    const blocks = [...text.matchAll(/^(subnet|host) ([^{]+) \{\n((?: {2}[^\n]*;\n)*)\}$/gm)].map((m) => [
      m[1],
      m[2],
      (m[3] ?? "").trim().split(/;\n\s*/),
    ]);
    expect(blocks).toEqual([
      ["subnet", "10.0.20.0 netmask 255.255.255.0", ["range 10.0.20.100 10.0.20.199;"]],
      ["subnet", "192.168.7.0 netmask 255.255.255.0", [""]],
      [
        "host",
        "home.kitchen",
        [
          "hardware ethernet aa:bb:cc:dd:ee:01",
          "fixed-address 10.0.20.11",
          'option host-name "kitchen-light";',
        ],
      ],
      [
        "host",
        "home.porch",
        ["hardware ethernet aa:bb:cc:dd:ee:02", "fixed-address 10.0.20.12", 'option host-name "porch";'],
      ],
      ["host", "lab.bench_1", ["hardware ethernet aa:bb:cc:dd:ee:04", "fixed-address 192.168.7.20;"]],
    ]);
    if (!checkers.available) return;
    const checked = runChecker("dhcpd", ["-t", "-cf", write("dhcpd.conf", text)]);
    expect(checked.code, checked.output).toBe(0);
    expect(
      runChecker("dhcpd", ["-t", "-cf", write("dhcpd-broken.conf", text.replace(/;\n\}/, "\n}"))]).code,
    ).not.toBe(0);
  });
});
