// The provisioning part of the Pulumi program: one ProvisionedDevice per device file with a
// `[provision]` table; the device's ShellyDevice then depends on it.
import * as pulumi from "@pulumi/pulumi";
import type { DesiredDevice } from "../fleet";
import { ProvisionedDevice } from "../providers/provision/provider";
import type { DeviceConfig } from "../providers/shelly/model/catalog";
import { settleOnFailure } from "./failed-resources";

/**
 * What is written in AP mode, before the station WiFi (ANCHORS.md section 5: Sys, auth, MQTT,
 * cloud, WiFi last). The rest is the ShellyDevice's job once the device is on the network.
 */
export function preNetworkConfig(config: DeviceConfig): DeviceConfig {
  const { device, cloud, mqtt, auth } = config;
  return {
    ...(device && { device }),
    ...(cloud && { cloud }),
    ...(mqtt && { mqtt }),
    ...(auth && { auth }),
  };
}

/** The device's ProvisionedDevice, or undefined when its file has no `[provision]` table. */
export function declareProvisioning(
  device: DesiredDevice,
  loginSecret: string | undefined,
  dependsOn: pulumi.Input<pulumi.Resource> | undefined,
): ProvisionedDevice | undefined {
  if (!device.provision) return undefined;
  return settleOnFailure(
    new ProvisionedDevice(
      device.name,
      {
        name: device.name,
        site: device.site,
        mac: device.mac,
        address: device.address,
        // A plain copy: the TOML parser's tables have no prototype, which the engine cannot serialize.
        provision: JSON.parse(JSON.stringify(device.provision)),
        preNetwork: preNetworkConfig(device.config),
        ...(loginSecret !== undefined && { loginSecret }),
        keepAp: device.config.wifi?.ap?.enabled === true,
        keepBleRpc: device.provision.ble_gateway === true || device.config.ble?.rpc === true,
        // Its own URN, so that its steps show under it in the engine's output.
        progressUrn: pulumi.createUrn(device.name, "pulumi-nodejs:dynamic/shelly:ProvisionedDevice"),
      },
      { dependsOn },
    ),
  );
}
