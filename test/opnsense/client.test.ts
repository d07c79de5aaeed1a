// The OPNsense client against the simulator over real sockets: both search-row formats, the
// error hierarchy, retries of reads only, TLS with a private CA, and no secret in any message.
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import {
  OpnsenseAuthError,
  OpnsenseClient,
  type OpnsenseConnection,
  OpnsenseConnectionError,
  OpnsenseError,
  OpnsenseHttpError,
  OpnsenseNotFoundError,
  OpnsenseTimeoutError,
  OpnsenseValidationError,
  selectedKeys,
  tlsOptions,
} from "../../providers/opnsense/client";
import { transportCheck } from "../../providers/opnsense/model";
import { type OpnsenseSim, startOpnsense } from "../../sim/opnsense/server";

describe("OpnsenseClient against the simulator", () => {
  let sim: OpnsenseSim;
  let api: OpnsenseClient;
  let subnet: string;
  const errors: unknown[] = [];

  async function failure(promise: Promise<unknown>): Promise<OpnsenseError> {
    const error = await promise.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OpnsenseError);
    errors.push(error);
    return error as OpnsenseError;
  }

  beforeAll(async () => {
    sim = await startOpnsense();
  });
  afterAll(async () => {
    // No message, cause or stack of any error above carries the key or the secret.
    for (const error of errors) {
      const text = `${(error as Error).message} ${(error as Error).stack} ${String((error as Error).cause)}`;
      expect(text).not.toContain(sim.secret);
      expect(text).not.toContain(sim.key);
    }
    await sim.close();
  });
  beforeEach(() => {
    sim.keaSubnets.clear();
    sim.keaReservations.clear();
    sim.aliases.clear();
    sim.faults = {};
    subnet = sim.addKeaSubnet({ subnet: "10.0.30.0/24" });
    api = new OpnsenseClient({ url: sim.address, key: sim.key, secret: sim.secret }, { retryDelayMs: 10 });
  });

  const reservation = { ip: "10.0.30.21", mac: "aa:bb:cc:dd:ee:01", hostname: "garage", description: "d" };

  test.each(["modern", "legacy"] as const)(
    "Kea reservations round trip with %s search rows",
    async (format) => {
      sim.rowFormat = format;
      const uuid = await api.putKeaReservation({ ...reservation, subnet });
      expect(await api.keaReservations()).toEqual([{ uuid, subnet, ...reservation }]);
      await api.putKeaReservation({ ...reservation, subnet, ip: "10.0.30.22" }, uuid);
      expect((await api.keaReservations())[0]?.ip).toBe("10.0.30.22");
      await api.deleteKeaReservation(uuid);
      expect(await api.keaReservations()).toEqual([]);
    },
  );

  test.each(["modern", "legacy"] as const)("dnsmasq hosts round trip with %s search rows", async (format) => {
    sim.rowFormat = format;
    const host = { hostname: "plug", ips: ["10.0.30.5"], macs: ["aa:bb:cc:dd:ee:05"], description: "x" };
    const uuid = await api.putDnsmasqHost(host);
    expect(await api.dnsmasqHosts()).toEqual([{ uuid, ...host }]);
    await api.deleteDnsmasqHost(uuid);
  });

  test("aliases: uuid by name, content from the option map, built-ins ignored", async () => {
    const uuid = await api.putAlias({
      name: "shelly_all",
      type: "host",
      enabled: true,
      content: ["10.0.30.21", "10.0.30.22"],
      description: "d",
    });
    expect(await api.aliasUuid("shelly_all")).toBe(uuid);
    expect(await api.aliasUuid("shelly_none")).toBeUndefined();
    expect(await api.alias(uuid)).toEqual({
      uuid,
      name: "shelly_all",
      type: "host",
      enabled: true,
      content: ["10.0.30.21", "10.0.30.22"],
      description: "d",
    });
    expect(selectedKeys({ "": { value: "", selected: 1 } })).toEqual([]);
    expect(selectedKeys({ a: { selected: "1" }, b: { selected: 0 }, c: { selected: true } })).toEqual([
      "a",
      "c",
    ]);
  });

  test("HTTP 200 result failed is a validation error naming each field", async () => {
    await api.putKeaReservation({ ...reservation, subnet });
    const error = await failure(
      api.putKeaReservation({ ...reservation, subnet, mac: "AA-BB-CC-DD-EE-02", hostname: "bad host" }),
    );
    expect(error).toBeInstanceOf(OpnsenseValidationError);
    expect((error as OpnsenseValidationError).fields.sort()).toEqual(["hostname", "ip_address"]);
    expect(error.message).toMatch(/rejected the reservation: .*ip_address: Duplicate entry exists\./);
    expect(error.message).toContain("POST kea/dhcpv4/add_reservation");
  });

  test("bad credentials: OpnsenseAuthError", async () => {
    const wrong = new OpnsenseClient({ url: sim.address, key: sim.key, secret: "not-the-secret" });
    const error = await failure(wrong.keaSubnets());
    expect(error).toBeInstanceOf(OpnsenseAuthError);
    expect(error.message).toContain("authentication failed");
  });

  test("unknown endpoint and unknown object: OpnsenseNotFoundError", async () => {
    expect(
      await failure(api.http.json("GET", "kea/dhcpv6/search_reservation", { read: true })),
    ).toBeInstanceOf(OpnsenseNotFoundError);
    expect(await failure(api.deleteKeaReservation("0f8fad5b-d9cb-469f-a165-70867728950e"))).toBeInstanceOf(
      OpnsenseNotFoundError,
    );
  });

  test("a 500 is an HTTP error carrying OPNsense's message; reads are retried, writes are not", async () => {
    sim.faults = { fail500: ["kea/dhcpv4/search_subnet"] };
    const error = await failure(api.keaSubnets());
    expect(error).toBeInstanceOf(OpnsenseHttpError);
    expect(error.message).toContain("HTTP 500: Unexpected error, check log for details");

    sim.faults = { latencyMs: 300 };
    const slow = new OpnsenseClient(
      { url: sim.address, key: sim.key, secret: sim.secret },
      { timeoutMs: 100, readRetries: 2, retryDelayMs: 10 },
    );
    sim.log.length = 0;
    expect(await failure(slow.keaSubnets())).toBeInstanceOf(OpnsenseTimeoutError);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sim.count("kea/dhcpv4/search_subnet")).toBe(3);
    sim.log.length = 0;
    expect(await failure(slow.putKeaReservation({ ...reservation, subnet }))).toBeInstanceOf(
      OpnsenseTimeoutError,
    );
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(sim.count("kea/dhcpv4/add_reservation")).toBe(1);
  });

  test("connection refused: OpnsenseConnectionError", async () => {
    const closed = await startOpnsense();
    const url = closed.address;
    await closed.close();
    const error = await failure(
      new OpnsenseClient({ url, key: "k", secret: "s" }, { readRetries: 0 }).keaSubnets(),
    );
    expect(error).toBeInstanceOf(OpnsenseConnectionError);
  });

  test("a URL carrying credentials is refused", () => {
    expect(() => new OpnsenseClient({ url: "https://root:pw@127.0.0.1", key: "k", secret: "s" })).toThrow(
      /must not carry credentials/,
    );
  });
});

/** An HTTPS server on loopback with a fresh self-signed certificate, answering one search. */
async function subnetServer(
  dir: string,
  subject: string,
  altName: string,
): Promise<{ cert: string; server: https.Server }> {
  const [keyFile, certFile] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
  execFileSync(
    "openssl",
    [
      ...["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", subject],
      ...["-addext", `subjectAltName=${altName}`, "-keyout", keyFile, "-out", certFile],
    ],
    { stdio: "ignore" },
  );
  const cert = fs.readFileSync(certFile, "utf8");
  const server = https.createServer({ key: fs.readFileSync(keyFile), cert }, (_req, res) => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"rows":[{"uuid":"u","subnet":"10.0.30.0\\/24"}],"rowCount":1,"total":1,"current":1}');
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { cert, server };
}

describe("OpnsenseClient over HTTPS", () => {
  let server: https.Server;
  let url: string;
  let ca: string;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "opnsense-tls-"));
    ({ cert: ca, server } = await subnetServer(dir, "/CN=127.0.0.1", "IP:127.0.0.1"));
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test("verification is on by default: a self-signed certificate is refused", async () => {
    const api = new OpnsenseClient({ url, key: "k", secret: "s" }, { readRetries: 0 });
    await expect(api.keaSubnets()).rejects.toBeInstanceOf(OpnsenseConnectionError);
  });

  test("with the certificate as the CA bundle it is trusted", async () => {
    const api = new OpnsenseClient({ url, key: "k", secret: "s", ca }, { readRetries: 0 });
    expect(await api.keaSubnets()).toEqual([{ uuid: "u", subnet: "10.0.30.0/24" }]);
  });

  test("the TLS options never turn verification off", () => {
    expect(tlsOptions(undefined)).toEqual({ rejectUnauthorized: true });
    expect(tlsOptions("PEM")).toEqual({ rejectUnauthorized: true, ca: "PEM" });
  });
});

/** The error a call failed with. */
async function refusal(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (e: unknown) => e,
  );
}

describe("OPNsense's default certificate: it names only <hostname>.<domain>", () => {
  let server: https.Server;
  let url: string;
  let cert: string;
  let fingerprint: string;
  let dir: string;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "opnsense-tls-name-"));
    ({ cert, server } = await subnetServer(dir, "/CN=fw.lan.example", "DNS:fw.lan.example"));
    fingerprint = new X509Certificate(cert).fingerprint256;
    url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const subnets = (connection: Partial<OpnsenseConnection>) =>
    new OpnsenseClient({ url, key: "k", secret: "s", ...connection }, { readRetries: 0 }).keaSubnets();
  const expected = [{ uuid: "u", subnet: "10.0.30.0/24" }];

  test("trusted but reached by IP: the name does not match", async () => {
    const error = await refusal(subnets({ ca: cert }));
    expect(error).toBeInstanceOf(OpnsenseConnectionError);
    expect((error as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  test("with serverName the certificate's name is checked instead of the IP", async () => {
    expect(await subnets({ ca: cert, serverName: "fw.lan.example" })).toEqual(expected);
    const wrongName = await refusal(subnets({ ca: cert, serverName: "other.lan.example" }));
    expect((wrongName as Error).message).toMatch(/ERR_TLS_CERT_ALTNAME_INVALID/);
  });

  test("a SHA-256 pin trusts exactly that certificate, without a CA", async () => {
    expect(await subnets({ certificateSha256: fingerprint })).toEqual(expected);
    expect(await subnets({ certificateSha256: fingerprint.replace(/:/g, "").toLowerCase() })).toEqual(
      expected,
    );
    const other = `${"00:".repeat(31)}00`;
    const error = await refusal(subnets({ certificateSha256: other }));
    expect(error).toBeInstanceOf(OpnsenseConnectionError);
    expect((error as Error).message).toMatch(/CERT_FINGERPRINT_MISMATCH/);
    expect(() => new OpnsenseClient({ url, key: "k", secret: "s", certificateSha256: "abc" })).toThrow(
      /64 hex/,
    );
  });

  test("http:// to another machine is refused unless allowed; loopback never leaves the host", () => {
    expect(() => new OpnsenseClient({ url: "http://192.0.2.1", key: "k", secret: "s" })).toThrow(
      /clear text/,
    );
    expect(
      () => new OpnsenseClient({ url: "http://192.0.2.1", key: "k", secret: "s", allowCleartext: true }),
    ).not.toThrow();
    expect(() => new OpnsenseClient({ url: "http://127.0.0.1:8080", key: "k", secret: "s" })).not.toThrow();
    expect(transportCheck("http://fw.lan", false).error).toMatch(/^http:\/\/ sends the API key/);
    expect(transportCheck("http://fw.lan", true).warning).toMatch(/over http:\/\/ .*readable/);
    expect(transportCheck("https://fw.lan", false)).toEqual({});
  });
});
