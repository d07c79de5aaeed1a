// The site's firmware campaign in the program: each device that pins firmware gets its place (wave),
// and each wave runs after the one before (an ordering that holds when a device of it failed: the
// stop rule is then the provider's, from the campaign ledger).
import type { DesiredDevice, Site } from "../fleet";
import { assignWaves, type CampaignPlace, campaignPlaces } from "../providers/shelly/plan/campaign";
import { firmwareWanted } from "../providers/shelly/plan/firmware";

/** Every campaign device's place, by device name; empty without a `[firmware_campaign]`. */
export function campaignOf(site: Site, devices: DesiredDevice[]): Map<string, CampaignPlace> {
  if (!site.campaign) return new Map();
  const names = devices.filter((d) => firmwareWanted(d.config.firmware) !== undefined).map((d) => d.name);
  return campaignPlaces(assignWaves(names, site.campaign), site.campaign);
}

/** Devices in the order to declare them: outside the campaign first, then wave by wave. */
export function inWaveOrder(devices: DesiredDevice[], places: Map<string, CampaignPlace>): DesiredDevice[] {
  const wave = (d: DesiredDevice) => places.get(d.name)?.wave ?? -1;
  return [...devices].sort((a, b) => wave(a) - wave(b));
}
