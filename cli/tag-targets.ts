// `preview --tag` / `up --tag`: the devices with the tags, as Pulumi `--target` URN patterns
// (each device's resources and its DHCP reservation), so that the engine touches only those.
import * as path from "node:path";
import type { Stack } from "@pulumi/pulumi/automation";
import { PROJECT_NAME } from "../automation/stack";
import { UsageError } from "../errors";
import { loadFleet, matchesTags } from "../fleet";

/** The stack's own name: a file backend calls it `organization/<project>/<stack>`. */
function shortName(stack: Stack): string {
  return stack.name.split("/").pop() as string;
}

/**
 * The program's site and root, as index.ts reads them: this run's --config, the stack config,
 * else the stack's name and the project directory.
 */
export async function programConfig(
  stack: Stack,
  projectDir: string,
  commandLine: Record<string, string>,
): Promise<{ site: string; root: string }> {
  const value = async (key: string) =>
    commandLine[`shelly-fleet:${key}`] ??
    (await stack.getConfig(`shelly-fleet:${key}`).catch(() => undefined))?.value;
  return {
    site: (await value("site")) ?? shortName(stack),
    root: path.resolve(projectDir, (await value("root")) ?? "."),
  };
}

/**
 * URN patterns for Pulumi's `target`: `**` stands for the type, which differs between a device,
 * its provisioning and its reservation, while the name ends the URN (`<device>`, `<device>-dhcp`).
 */
export async function tagTargets(
  stack: Stack,
  projectDir: string,
  tags: string[],
  commandLine: Record<string, string>,
): Promise<string[]> {
  const { site, root } = await programConfig(stack, projectDir, commandLine);
  const fleet = loadFleet({ root, site });
  const devices = fleet.devices.filter((device) => matchesTags(device, tags));
  if (devices.length === 0) {
    throw new UsageError(
      `no device of site ${site} has the tag${tags.length > 1 ? "s" : ""} ${tags.join(", ")}`,
    );
  }
  const prefix = `urn:pulumi:${shortName(stack)}::${PROJECT_NAME}::**::`;
  return devices.flatMap((device) => [`${prefix}${device.name}`, `${prefix}${device.name}-dhcp`]);
}
