import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import {
  DigestSession,
  digestResponse,
  parseDigestChallenge,
  RPC_HA2,
  shellyHa1,
} from "../../providers/shelly/client/digest";
import { fixture } from "./support";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("digest hashes (API.md §4.1 test vector)", () => {
  const realm = "shelly1minig3-543204547478";
  const ha1 = shellyHa1(realm, "tango");

  test("HA1 is sha256(admin:realm:password)", () => {
    expect(ha1).toBe("a7266451916a922912b6ed71d594610f932ac1cc721348c3f234be6136b89ead");
  });

  test("HA2 of the JSON auth object is the dummy_method:dummy_uri constant", () => {
    expect(RPC_HA2).toBe("6370ec69915103833b5222b368555393393f098bfbfbb59f47e0590af135f062");
  });

  test("the response hashes nc in the textual form given", () => {
    const input = { ha1, nonce: "1716556501", cnonce: "1234", ha2: RPC_HA2 };
    expect(digestResponse({ ...input, nc: "00000001" })).toBe(
      "2f8dc4010b210741a55e99e1de92a87187623cc0fefdff23a4702caf77c526dc",
    );
    expect(digestResponse({ ...input, nc: "1" })).toBe(
      "3e07b0fe38c419b01b1d79400d89e43bf5247a04631dc250e5275ee98a5e86f6",
    );
  });
});

describe("parseDigestChallenge", () => {
  const examples = fixture<{ firmware: string; value: string }[]>(
    "gen2plus-http-401-WWW-Authenticate-examples.json",
  );
  const header = (firmwarePrefix: string) => {
    const example = examples.find((e) => e.firmware.startsWith(firmwarePrefix));
    if (!example) throw new Error(`no example for ${firmwarePrefix}`);
    return example.value;
  };

  test("pre-2.0 decimal nonce", () => {
    expect(parseDigestChallenge(header("Gen3"))).toEqual({
      realm: "shelly1minig3-543204547478",
      nonce: "1716556501",
      algorithm: "SHA-256",
      qop: "auth",
      stale: false,
    });
  });

  test("fw 2.0.0 opaque base64 nonce keeps its / and +", () => {
    expect(parseDigestChallenge(header("Gen4"))?.nonce).toBe(
      "AAAAAGoN/xPwAe9+Z7jqowwiKxph4+yZCVXgmYJuPoPfFwln5X5M9f4kpm8taEuM",
    );
  });

  test("stale=true and = padding", () => {
    const parsed = parseDigestChallenge(
      'Digest realm="r", nonce="YWJj==", algorithm=SHA-256, stale=TRUE, qop="auth"',
    );
    expect(parsed).toMatchObject({ nonce: "YWJj==", stale: true, realm: "r" });
  });

  test("Gen1 Basic is not a digest challenge", () => {
    expect(parseDigestChallenge(header("Gen1"))).toBeUndefined();
  });
});

describe("DigestSession", () => {
  test("reuses the nonce with nc 1, 2, 3 and restarts at 1 on a new challenge", () => {
    const session = new DigestSession("tango");
    const realm = "shelly1minig3-543204547478";
    session.accept({ realm, nonce: "1716556501", algorithm: "SHA-256", stale: false });
    const first = session.nextRpcAuth();
    const second = session.nextRpcAuth();
    expect([first.nc, second.nc]).toEqual([1, 2]);
    // Pre-2.0 firmware scans an all-digit nonce as an integer.
    expect(first.nonce).toBe(1716556501);
    const ha1 = sha256(`admin:${realm}:tango`);
    const ha2 = sha256("dummy_method:dummy_uri");
    expect(second.response).toBe(sha256(`${ha1}:1716556501:2:${second.cnonce}:auth:${ha2}`));
    expect(second.cnonce).not.toBe(first.cnonce);

    session.accept({ realm, nonce: "AAAA/+0=", algorithm: "SHA-256", stale: true });
    const fresh = session.nextRpcAuth();
    expect(fresh).toMatchObject({ nc: 1, nonce: "AAAA/+0=", username: "admin", realm, algorithm: "SHA-256" });
  });

  test("a nonce with a leading zero stays a string, so its hash is unchanged", () => {
    const session = new DigestSession("x");
    session.accept({ realm: "r", nonce: "0123", algorithm: "SHA-256", stale: false });
    expect(session.nextRpcAuth().nonce).toBe("0123");
  });

  test("no auth before a challenge", () => {
    expect(() => new DigestSession("x").nextRpcAuth()).toThrow(/no digest challenge/);
  });
});
