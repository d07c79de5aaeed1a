// The checker the security e2e tests rely on finds each form it claims to: a checker that
// cannot fail would prove nothing.
import { createHash } from "node:crypto";
import { describe, expect, test } from "vitest";
import { hashSecret } from "../../providers/shelly/plan/planner";
import { verifiableSecrets } from "../support/dictionary-attack";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("dictionary attack over documents", () => {
  test("finds the plain value, its sha256, the v1 fingerprint and the digest HA1", () => {
    const found = verifiableSecrets(
      {
        state: {
          a: "x hunter2 y",
          b: [sha256("hunter2")],
          c: { d: hashSecret("salt1", "mqtt.password", "hunter2") },
          realm: "shellyplus1pm-a8032abe54dc",
          e: sha256("admin:shellyplus1pm-a8032abe54dc:hunter2"),
        },
      },
      ["hunter2"],
    );
    expect(found).toEqual([
      "state.a: the password itself",
      "state.b[0]: sha256 of a password",
      "state.c.d: salted fingerprint of a password",
      "state.e: digest HA1 of a password",
    ]);
  });

  test("finds nothing in values derived from other passwords or encrypted", () => {
    const found = verifiableSecrets(
      { state: { b: sha256("other"), c: hashSecret("s", "auth.password", "other"), d: "v1:AAAAciphertext" } },
      ["hunter2"],
    );
    expect(found).toEqual([]);
  });
});
