// Which documents a read needs: the lists only for managed entries, and after writes only what
// they can have changed.
import { describe, expect, it } from "vitest";
import { partsChangedBy, partsToRead } from "../../providers/shelly/plan/document-parts";
import type { DeviceRequest } from "../../providers/shelly/plan/types";

const gen1 = (path: string): DeviceRequest => ({ kind: "gen1", path, params: {} });
const gen2 = (method: string): DeviceRequest => ({ kind: "gen2", method, params: {} });
const sorted = (parts: Iterable<string>) => [...parts].sort();

describe("parts a read needs", () => {
  it("reads everything when nothing narrows it (adopt)", () => {
    expect(sorted(partsToRead(undefined))).toEqual([
      "actions",
      "config",
      "identity",
      "schedules",
      "webhooks",
    ]);
  });

  it("leaves out the lists of entries the settings do not manage", () => {
    expect(sorted(partsToRead({ managing: { switch: [{ id: 0, name: "Lamp" }] } }))).toEqual([
      "config",
      "identity",
    ]);
    expect(sorted(partsToRead({ managing: { schedule: [], webhook: [] } }))).toEqual([
      "config",
      "identity",
      "schedules",
      "webhooks",
    ]);
    expect(sorted(partsToRead({ managing: { action: [] } }))).toEqual(["actions", "config", "identity"]);
  });

  it("after writes, reads again only what they can have changed", () => {
    const managing = { schedule: [], webhook: [] };
    const rereadAfter = (sent: DeviceRequest[]) => sorted(partsToRead({ managing, changedOnly: true }, sent));
    expect(rereadAfter([gen2("Switch.SetConfig"), gen2("Sys.SetConfig")])).toEqual(["config"]);
    expect(rereadAfter([gen2("Schedule.Create")])).toEqual(["schedules"]);
    expect(rereadAfter([gen2("Webhook.Update"), gen2("Shelly.SetAuth")])).toEqual(["identity", "webhooks"]);
    expect(rereadAfter([])).toEqual([]);
  });

  it("reads everything after writes when there was no read before them", () => {
    expect(sorted(partsToRead({ changedOnly: true }, undefined))).toHaveLength(5);
  });

  it("a write it does not know can have changed anything", () => {
    expect(sorted(partsChangedBy(gen2("Shelly.Update")))).toHaveLength(5);
    expect(sorted(partsChangedBy(gen1("/ota")))).toHaveLength(5);
    expect(sorted(partsChangedBy(gen2("Switch.Set")))).toHaveLength(5);
  });

  it("maps Gen1 endpoints to the documents that show them", () => {
    expect(partsChangedBy(gen1("/settings/relay/0"))).toEqual(["config"]);
    expect(partsChangedBy(gen1("/settings"))).toEqual(["config"]);
    expect(partsChangedBy(gen1("/settings/actions"))).toEqual(["actions"]);
    expect(sorted(partsChangedBy(gen1("/settings/login")))).toEqual(["config", "identity"]);
    expect(sorted(partsChangedBy(gen2("Shelly.SetProfile")))).toEqual(["config", "identity"]);
  });
});
