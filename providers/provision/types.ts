// What a device file's `[provision]` table says; the fleet files and the provisioning provider
// share this shape.
import type { SecretRef } from "../shared/secrets";

/** `[provision]`: the device is new and joins the network from its access point (README, "Provisioning"). */
export interface ProvisionSettings {
  driver: "direct" | "nmcli" | "agent";
  /** The network the device joins. */
  wifi_ssid: string;
  wifi_password: SecretRef;
  /** The device's AP SSID; default: any Shelly SSID ending in the device's MAC. */
  ap_ssid?: string;
  /** Where the device answers in AP mode; default 192.168.33.1. */
  ap_address?: string;
  /** nmcli and agent: the WiFi interface that joins the AP. */
  interface?: string;
  /** agent: the provisioner agent's name. */
  agent?: string;
  /** Keep BLE RPC on after provisioning (Bluetooth gateways need it). */
  ble_gateway?: boolean;
}
