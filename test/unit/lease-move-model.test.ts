// When a device must move onto its reservation: an address of the site's subnet that is not the
// reserved IP is a dynamic lease; anything else says how to reach the device.
import { describe, expect, test } from "vitest";
import { leaseMoveOf } from "../../providers/shelly/lease/model";

describe("leaseMoveOf", () => {
  const subnet = "10.0.30.0/24";

  test("a pool address of the subnet moves to the reservation, keeping its port", () => {
    expect(leaseMoveOf({ address: "10.0.30.120", network: { ip: "10.0.30.16" } }, subnet)).toEqual({
      from: "10.0.30.120",
      to: "10.0.30.16",
    });
    expect(leaseMoveOf({ address: "10.0.30.120:8080", network: { ip: "10.0.30.16" } }, subnet)).toEqual({
      from: "10.0.30.120:8080",
      to: "10.0.30.16:8080",
    });
  });

  test("nothing to move: already there, no reservation, no subnet, a host name, an address outside the subnet, a device to provision", () => {
    const network = { ip: "10.0.30.16" };
    expect(leaseMoveOf({ address: "10.0.30.16", network }, subnet)).toBeUndefined();
    expect(leaseMoveOf({ address: "10.0.30.16:80", network }, subnet)).toBeUndefined();
    expect(leaseMoveOf({ address: "10.0.30.120" }, subnet)).toBeUndefined();
    expect(leaseMoveOf({ address: "10.0.30.120", network }, undefined)).toBeUndefined();
    expect(leaseMoveOf({ address: "porch.lan", network }, subnet)).toBeUndefined();
    expect(leaseMoveOf({ address: "127.0.0.1:41234", network }, subnet)).toBeUndefined();
    expect(leaseMoveOf({ address: "10.0.30.120", network, provision: {} }, subnet)).toBeUndefined();
  });
});
