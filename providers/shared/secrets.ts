// Secret references, `{ secret = "name" }`: the files name a secret, stack config or the
// environment hold its value. The fleet files and the providers resolve them with these names.

/** `{ secret = "name" }`: resolved at run time from stack config or the environment. */
export interface SecretRef {
  secret: string;
}

/** `wifi-iot` → `shelly-fleet:secret.wifi-iot`. */
export function secretConfigKey(name: string): string {
  return `shelly-fleet:secret.${name}`;
}

/** `mqtt-shelly` → `SHELLY_FLEET_SECRET_MQTT_SHELLY`. */
export function secretEnvName(name: string): string {
  return `SHELLY_FLEET_SECRET_${name.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`;
}

export function isSecretRef(value: unknown): value is SecretRef {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    typeof (value as SecretRef).secret === "string"
  );
}
