// A site's firmware campaign as the CLI shows it beside the engine (the preview's firmware lines,
// the campaign line after up, `status`): the places from the files, the outcomes from the campaign
// ledger, the clock and --force-firmware from the stack config, as the provider reads them.
import * as path from "node:path";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import { readStackConfig } from "../automation/stack-config";
import type { DesiredDevice, Fleet, Site } from "../fleet";
import { loadFleet } from "../fleet";
import { campaignOf } from "../program/campaign";
import { defaultJournalDir } from "../providers/shared/journal";
import { readLedger } from "../providers/shelly/campaign-ledger";
import {
  type CampaignProgress,
  campaignLine,
  campaignProgress,
  type DeviceProgress,
} from "../providers/shelly/plan/campaign";
import { firmwareVersion, firmwareWanted, meetsWanted } from "../providers/shelly/plan/firmware";
import type { StatusRow } from "./device-status";

export interface SiteCampaign {
  site: string;
  devices: Map<string, DeviceProgress>;
  campaign: CampaignProgress;
}

/** What the provider reads from the stack config for the campaign. */
export interface CampaignSettings {
  journalDir: string;
  now: Date;
  force: boolean;
}

/** The campaign settings from a stack config map (shelly-fleet:journalDir, firmwareClock, forceFirmware). */
export function campaignSettings(config: Map<string, string>, projectDir: string, backendUrl?: string) {
  const clock = config.get("shelly-fleet:firmwareClock");
  return {
    journalDir: config.get("shelly-fleet:journalDir") ?? defaultJournalDir(backendUrl, projectDir),
    now: clock ? new Date(clock) : new Date(),
    force: config.get("shelly-fleet:forceFirmware") === "true",
  };
}

/** A site's campaign; undefined when the site has none or no device of it asks for firmware. */
export function siteCampaign(
  site: Site,
  devices: readonly DesiredDevice[],
  settings: CampaignSettings,
  done?: (name: string) => boolean | undefined,
): SiteCampaign | undefined {
  const places = campaignOf(
    site,
    devices.filter((d) => d.site === site.name),
  );
  if (places.size === 0) return undefined;
  const ledger = readLedger(settings.journalDir, site.name);
  return { site: site.name, ...campaignProgress(places, ledger, settings.now, settings.force, done) };
}

/** The campaign of an engine run's stack (its site, root and settings from the run's config). */
export async function stackCampaign(stack: Stack, configFile?: string): Promise<SiteCampaign | undefined> {
  const workspace = stack.workspace as LocalWorkspace;
  const config = await readStackConfig(stack, configFile);
  const siteName = config.get("shelly-fleet:site") ?? (stack.name.split("/").pop() as string);
  const root = path.resolve(workspace.workDir, config.get("shelly-fleet:root") ?? ".");
  const fleet = loadFleet({ root, site: siteName });
  const site = fleet.sites.find((s) => s.name === siteName);
  if (!site) return undefined;
  const backendUrl = workspace.envVars.PULUMI_BACKEND_URL ?? process.env.PULUMI_BACKEND_URL;
  return siteCampaign(site, fleet.devices, campaignSettings(config, workspace.workDir, backendUrl));
}

/** The lines printed after up: where the campaign is, and why it stopped. */
export function renderCampaign(campaign: SiteCampaign | undefined): string {
  if (!campaign) return "";
  return `\nFirmware campaign (${campaign.site}): ${campaignLine(campaign.campaign)}\n`;
}

/** A site's campaign in `status --json`: where it is, how many done and failed, why it stopped. */
export type CampaignStatus = { site: string } & CampaignProgress;

/**
 * For `status`: each row whose file asks for firmware the device does not run gets its pending
 * update (target, wave, held-by); one campaign summary per site that has a campaign. A device is
 * done when its live firmware meets its file; unread devices count by the ledger.
 */
export function firmwareStatus(
  fleet: Pick<Fleet, "devices" | "sites">,
  rows: StatusRow[],
  settings: CampaignSettings,
): CampaignStatus[] {
  const rowOf = new Map(rows.map((row) => [`${row.site}/${row.device}`, row]));
  const met = (device: DesiredDevice): boolean | undefined => {
    const wants = firmwareWanted(device.config.firmware);
    const running = firmwareVersion(rowOf.get(`${device.site}/${device.name}`)?.firmware);
    return wants && running !== undefined ? meetsWanted(running, wants) : undefined;
  };
  const campaigns: CampaignStatus[] = [];
  const progressOf = new Map<string, DeviceProgress>();
  for (const site of fleet.sites) {
    const sited = fleet.devices.filter((d) => d.site === site.name);
    const byName = new Map(sited.map((d) => [d.name, d]));
    const campaign = siteCampaign(site, sited, settings, (name) => {
      const device = byName.get(name);
      return device && met(device);
    });
    if (!campaign) continue;
    campaigns.push({ site: site.name, ...campaign.campaign });
    for (const [name, progress] of campaign.devices) progressOf.set(`${site.name}/${name}`, progress);
  }
  for (const device of fleet.devices) {
    const wants = firmwareWanted(device.config.firmware);
    const row = rowOf.get(`${device.site}/${device.name}`);
    if (!wants || !row || met(device) !== false) continue;
    const progress = progressOf.get(`${device.site}/${device.name}`);
    row.firmwarePending = {
      target: wants.pin ?? `>= ${wants.minimum}`,
      ...(progress && { wave: progress.wave }),
      ...(progress?.state === "failed" && { failed: progress.error ?? "failed" }),
      ...(progress?.heldBy && { heldBy: progress.heldBy }),
    };
  }
  return campaigns;
}
