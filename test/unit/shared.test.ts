// The helpers the fleet files, the providers and the clients share (providers/shared/).
import { describe, expect, test } from "vitest";
import {
  inRange,
  inSubnet,
  ipv4ToNumber,
  isHostname,
  isIPv4,
  normalizeMac,
  parseSubnet,
} from "../../providers/shared/net";
import { isSecretRef, secretConfigKey, secretEnvName } from "../../providers/shared/secrets";
import { isKnown, UNKNOWN } from "../../providers/shared/unknown";

describe("shared helpers", () => {
  test("a MAC in any usual spelling becomes 12 upper-case hex digits; anything else is not a MAC", () => {
    for (const spelling of ["aa:bb:cc:dd:ee:0f", "AA-BB-CC-DD-EE-0F", "aabb.ccdd.ee0f", "AABBCCDDEE0F"]) {
      expect(normalizeMac(spelling)).toBe("AABBCCDDEE0F");
    }
    expect(normalizeMac("AABBCCDDEE")).toBeUndefined();
    expect(normalizeMac("gg:bb:cc:dd:ee:ff")).toBeUndefined();
  });

  test("IPv4 addresses, subnets and ranges", () => {
    expect(isIPv4("10.0.20.31")).toBe(true);
    expect(isIPv4("10.0.20.256")).toBe(false);
    expect(isIPv4("010.0.20.1")).toBe(false);
    expect(ipv4ToNumber("10.0.1.2")).toBe(10 * 2 ** 24 + 256 + 2);
    const subnet = parseSubnet("10.0.20.77/24");
    expect(inSubnet("10.0.20.0", subnet)).toBe(true);
    expect(inSubnet("10.0.20.255", subnet)).toBe(true);
    expect(inSubnet("10.0.21.0", subnet)).toBe(false);
    expect(inRange("10.0.20.150", "10.0.20.100", "10.0.20.199")).toBe(true);
    expect(inRange("10.0.20.200", "10.0.20.100", "10.0.20.199")).toBe(false);
    expect(isHostname("shelly-garage.lan")).toBe(true);
    expect(isHostname("-garage")).toBe(false);
  });

  test("secret references and where their values come from", () => {
    expect(isSecretRef({ secret: "wifi-iot" })).toBe(true);
    expect(isSecretRef({ secret: "wifi-iot", other: 1 })).toBe(false);
    expect(isSecretRef({ secret: 1 })).toBe(false);
    expect(isSecretRef("wifi-iot")).toBe(false);
    expect(isSecretRef(null)).toBe(false);
    expect(secretConfigKey("wifi-iot")).toBe("shelly-fleet:secret.wifi-iot");
    expect(secretEnvName("mqtt-shelly.2")).toBe("SHELLY_FLEET_SECRET_MQTT_SHELLY_2");
  });

  test("the engine's unknown-value sentinel", () => {
    expect(isKnown(UNKNOWN)).toBe(false);
    expect(isKnown("AABBCCDDEEFF")).toBe(true);
    expect(isKnown(undefined)).toBe(true);
  });
});
