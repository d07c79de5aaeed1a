// JSON Schemas for the fleet files, generated from the field catalog: the catalog names every
// section and field once, and both editors (through schema/*.json) and `validate` (through ajv)
// check the files against what is derived here.

import { CIDR_PATTERN, IPV4_PATTERN } from "../providers/shared/net";
import {
  CATALOG,
  type FieldSpec,
  fieldGenerations,
  SECTION_NAMES,
  type SectionSpec,
  type ValueType,
} from "../providers/shelly/model/catalog";

export type JsonSchema = { [key: string]: unknown };

/** Value formats shared by the schemas and the checks; the names read well in error messages. */
export const FORMATS = {
  mac: {
    pattern: "^[0-9A-Fa-f]{2}([:-]?[0-9A-Fa-f]{2}){5}$",
    name: "a MAC address (AA:BB:CC:DD:EE:FF, aa-bb-cc-dd-ee-ff or AABBCCDDEEFF)",
  },
  ipv4: {
    pattern: IPV4_PATTERN,
    name: "an IPv4 address such as 10.0.20.31",
  },
  cidr: {
    pattern: CIDR_PATTERN,
    name: "a subnet such as 10.0.20.0/24",
  },
  name: {
    pattern: "^[A-Za-z0-9][A-Za-z0-9_.-]*$",
    name: "a name of letters, digits, '.', '_' and '-'",
  },
} as const;

/** Schedules run at most five calls (MODEL.md 3.10); the catalog's `rpc-calls` type has no limit field. */
const MAX_RPC_CALLS = 5;

const DEFINITIONS: JsonSchema = {
  secretRef: {
    type: "object",
    description:
      'A secret reference, { secret = "name" }: resolved at run time from the stack config ' +
      "`shelly-fleet:secret.<name>` or the environment variable SHELLY_FLEET_SECRET_<NAME>",
    properties: {
      secret: { type: "string", pattern: FORMATS.name.pattern, description: "The secret's name" },
    },
    required: ["secret"],
    additionalProperties: false,
  },
  rpcCall: {
    type: "object",
    description: 'An RPC call, e.g. { method = "Switch.Set", params = { id = 0, on = true } }',
    properties: {
      method: { type: "string", minLength: 1, description: "RPC method, e.g. Switch.Set" },
      params: { type: "object", description: "The call's parameters" },
    },
    required: ["method"],
    additionalProperties: false,
  },
  profileList: {
    type: "array",
    items: { type: "string", pattern: FORMATS.name.pattern },
    uniqueItems: true,
  },
  tagList: {
    type: "array",
    items: { type: "string", pattern: FORMATS.name.pattern },
    uniqueItems: true,
  },
};

/** Drops the catalog builders' `undefined` bounds, which are not valid schema values. */
function defined(entries: Record<string, unknown>): JsonSchema {
  return Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== undefined));
}

function valueSchema(type: ValueType): JsonSchema {
  switch (type.kind) {
    case "string":
      return defined({ type: "string", maxLength: type.maxLength, pattern: type.pattern });
    case "boolean":
      return { type: "boolean" };
    case "integer":
    case "number":
      return defined({ type: type.kind, minimum: type.minimum, maximum: type.maximum });
    case "enum":
      // Open: a value a device reports is never a schema error (validate warns about values the
      // catalog does not know); editors still offer the known ones.
      return { type: "string", examples: [...type.values] };
    case "secret":
      return { $ref: "#/definitions/secretRef" };
    case "strings":
      return defined({ type: "array", items: { type: "string" }, maxItems: type.maxItems });
    case "rpc-calls":
      return { type: "array", items: { $ref: "#/definitions/rpcCall" }, maxItems: MAX_RPC_CALLS };
  }
}

function fieldSchema(field: FieldSpec): JsonSchema {
  const generations = fieldGenerations(field);
  const only = generations.length === 1 ? (generations[0] === "gen1" ? " (Gen1 only)" : " (Gen2+ only)") : "";
  const known =
    field.type.kind === "enum"
      ? `; known values: ${field.type.values.join(", ")} (others are accepted with a warning)`
      : "";
  return { description: `${field.description}${only}${known}`, ...valueSchema(field.type) };
}

function sectionSchema(spec: SectionSpec): JsonSchema {
  const fields = Object.fromEntries(Object.entries(spec.fields).map(([name, f]) => [name, fieldSchema(f)]));
  if (spec.kind === "table") {
    return { type: "object", description: spec.description, properties: fields, additionalProperties: false };
  }
  const key =
    spec.kind === "channels"
      ? { id: { type: "integer", minimum: 0, description: "Channel number; entries merge by id" } }
      : {
          name: {
            type: "string",
            minLength: 1,
            description: "Your name for the entry; entries merge by name",
          },
        };
  return {
    type: "array",
    description: spec.description,
    items: {
      type: "object",
      properties: { ...key, ...fields },
      required: Object.keys(key),
      additionalProperties: false,
    },
  };
}

// The grammar of providers/shelly/model/keys.ts: a target never holds a dot (no component or
// endpoint does), a path has no empty parts.
const RAW_TARGET_NAME: JsonSchema = {
  pattern: "^[^.]+$",
  description: 'a component or endpoint name has no dot (quote it: raw.gen2."switch:0")',
};
const RAW_PATH: JsonSchema = {
  pattern: "^[^.]+(\\.[^.]+)*$",
  description: "a config path has no empty parts between its dots",
};

const RAW_SCHEMA: JsonSchema = {
  type: "object",
  description: "Raw per-generation keys for what the model does not cover",
  properties: {
    gen1: {
      type: "object",
      description: "Endpoint (e.g. settings, settings/relay/0) → parameter → value",
      propertyNames: RAW_TARGET_NAME,
      additionalProperties: {
        type: "object",
        propertyNames: RAW_PATH,
        additionalProperties: { type: ["string", "number", "boolean"] },
      },
    },
    gen2: {
      type: "object",
      description: "Component (e.g. sys, switch:0) → dotted config path → value",
      propertyNames: RAW_TARGET_NAME,
      additionalProperties: { type: "object", propertyNames: RAW_PATH },
    },
  },
  additionalProperties: false,
};

const REMOVE_SCHEMA: JsonSchema = {
  type: "array",
  description:
    "Inherited values to drop before this file's own values apply: a field (mqtt.server), a " +
    "section (mqtt), a channel or one of its fields (switch.0, switch.0.name), a named entry " +
    "(schedule.evening), or a raw key (raw.gen2.sys.device.name)",
  items: { type: "string", minLength: 1 },
  uniqueItems: true,
};

/** The model sections as schema properties; dotted sections (`wifi.sta`) nest under their table. */
function modelProperties(): JsonSchema {
  const properties: JsonSchema = {};
  for (const name of SECTION_NAMES) {
    const spec: SectionSpec = CATALOG[name];
    const [outer, inner] = name.split(".") as [string, string | undefined];
    if (inner === undefined) {
      properties[outer] = sectionSchema(spec);
      continue;
    }
    properties[outer] ??= { type: "object", properties: {}, additionalProperties: false };
    const parent = properties[outer] as { properties: JsonSchema };
    parent.properties[inner] = sectionSchema(spec);
  }
  properties.raw = RAW_SCHEMA;
  properties.remove = REMOVE_SCHEMA;
  return properties;
}

function document(id: string, title: string, properties: JsonSchema, required: string[]): JsonSchema {
  return {
    $schema: "http://json-schema.org/draft-07/schema#",
    $id: `https://shelly-fleet.dev/schema/${id}`,
    title,
    type: "object",
    properties,
    ...(required.length > 0 && { required }),
    additionalProperties: false,
    definitions: DEFINITIONS,
  };
}

export function deviceSchema(): JsonSchema {
  return document(
    "device.schema.json",
    "shelly-fleet device file (devices/<site>/<name>.toml)",
    {
      mac: { type: "string", pattern: FORMATS.mac.pattern, description: "The device's MAC: its identity" },
      address: {
        type: "string",
        minLength: 1,
        description: "IP address or host name (optionally :port) to reach the device; defaults to network.ip",
      },
      sleeping: {
        type: "boolean",
        description:
          'A battery device that sleeps: its changes wait for its next wake-up (README, "Sleeping devices")',
      },
      profiles: {
        $ref: "#/definitions/profileList",
        description: "Profiles (profiles/<name>.toml) merged in this order before this file",
      },
      tags: {
        $ref: "#/definitions/tagList",
        description: "Labels for --tag filters and the site's [[by_tag]] rules (profiles, aliases)",
      },
      model: {
        type: "string",
        minLength: 1,
        description:
          "The device's model id, e.g. SNSW-001P16EU (adopt writes it): keys the model does not have are errors",
      },
      expect: {
        type: "object",
        description: "What the device must be; fields its generation cannot take are errors",
        properties: {
          generation: { type: "integer", minimum: 1, maximum: 4, description: "Device generation, 1 to 4" },
          model: { type: "string", minLength: 1, description: "Model id, e.g. SNSW-001P16EU" },
        },
        additionalProperties: false,
      },
      network: {
        type: "object",
        description: "DHCP reservation, DNS name and firewall aliases",
        properties: {
          ip: { type: "string", pattern: FORMATS.ipv4.pattern, description: "Reserved IPv4 address" },
          hostname: { type: "string", minLength: 1, maxLength: 63, description: "DNS host name" },
          aliases: {
            type: "array",
            items: { type: "string", pattern: FORMATS.name.pattern },
            uniqueItems: true,
            description: "Firewall alias groups the device belongs to",
          },
        },
        additionalProperties: false,
      },
      provision: {
        type: "object",
        description:
          "The device is new: provision it from its access point onto wifi_ssid (README, Provisioning)",
        properties: {
          driver: {
            type: "string",
            enum: ["direct", "nmcli", "agent"],
            description:
              "direct: the AP address is reachable already; nmcli: this host joins the AP; agent: a provisioner agent does it",
          },
          wifi_ssid: {
            type: "string",
            minLength: 1,
            maxLength: 32,
            description: "The network the device joins",
          },
          wifi_password: { $ref: "#/definitions/secretRef", description: "That network's key" },
          ap_ssid: {
            type: "string",
            minLength: 1,
            maxLength: 32,
            description: "The device's AP SSID; default: a Shelly SSID ending in the device's MAC",
          },
          ap_address: {
            type: "string",
            minLength: 1,
            description: "Where the device answers in AP mode; default 192.168.33.1",
          },
          interface: {
            type: "string",
            pattern: FORMATS.name.pattern,
            description: "nmcli and agent: the WiFi interface that joins the AP (default: the first)",
          },
          agent: { type: "string", pattern: FORMATS.name.pattern, description: "agent: the agent's name" },
          ble_gateway: {
            type: "boolean",
            description: "Keep BLE RPC on after provisioning (Bluetooth gateways need it); default false",
          },
        },
        required: ["driver", "wifi_ssid", "wifi_password"],
        additionalProperties: false,
      },
      ...modelProperties(),
    },
    ["mac"],
  );
}

export function profileSchema(): JsonSchema {
  return document(
    "profile.schema.json",
    "shelly-fleet profile (profiles/<name>.toml)",
    {
      extends: {
        $ref: "#/definitions/profileList",
        description: "Profiles merged, in order, before this one",
      },
      tags: {
        $ref: "#/definitions/tagList",
        description: "Tags every device this profile is merged into carries",
      },
      ...modelProperties(),
    },
    [],
  );
}

export function siteSchema(): JsonSchema {
  return document(
    "site.schema.json",
    "shelly-fleet site defaults (devices/<site>/site.toml)",
    {
      subnet: { type: "string", pattern: FORMATS.cidr.pattern, description: "The site's device subnet" },
      dhcp_pool: {
        type: "object",
        description: "The dynamic DHCP range: reserved addresses must lie outside it",
        properties: {
          start: { type: "string", pattern: FORMATS.ipv4.pattern },
          end: { type: "string", pattern: FORMATS.ipv4.pattern },
        },
        required: ["start", "end"],
        additionalProperties: false,
      },
      dhcp_backend: { type: "string", enum: ["kea", "dnsmasq"], description: "OPNsense DHCP service" },
      credentials: {
        type: "object",
        description: "How shelly-fleet logs in to the site's devices",
        properties: {
          device_user: {
            type: "string",
            minLength: 1,
            description: "Gen1 login name (Gen2+ is always admin)",
          },
          device_password: { $ref: "#/definitions/secretRef" },
        },
        additionalProperties: false,
      },
      profiles: {
        $ref: "#/definitions/profileList",
        description: "Profiles applied to every device of the site, before the device's own",
      },
      firmware_campaign: {
        type: "object",
        description:
          "How firmware updates roll out over the site's devices that pin firmware: a canary, then waves, a pause between waves, maintenance windows; a wave with a failed device stops the campaign",
        properties: {
          canary: {
            type: "array",
            items: { type: "string", minLength: 1 },
            uniqueItems: true,
            description: "Device file names updated first, alone",
          },
          canary_percent: {
            type: "number",
            exclusiveMinimum: 0,
            maximum: 100,
            description: "Or: this share of the devices, first by name, as the canary",
          },
          waves: {
            type: "array",
            items: { type: "number", exclusiveMinimum: 0, maximum: 100 },
            minItems: 1,
            description: "Cumulative percentages of the devices after the canary, e.g. [50, 100]",
          },
          pause_minutes: {
            type: "integer",
            minimum: 0,
            description: "Minutes between the last install of a wave and the start of the next",
          },
          windows: {
            type: "array",
            items: { type: "string" },
            description:
              'Maintenance windows, UTC: "Sat,Sun 02:00-05:00", "Mon-Fri 22:00-05:00", "daily 01:00-04:00"; none: any time',
          },
        },
        not: { required: ["canary", "canary_percent"] },
        additionalProperties: false,
      },
      policy: {
        type: "object",
        description:
          'What the safety rules allow at this site, and rule levels changed (README, "Safety policies")',
        properties: {
          allow_cloud: { type: "boolean", description: "cloud-off: devices may keep the Shelly cloud on" },
          allow_beta: { type: "boolean", description: "firmware-stable: devices may use the beta channel" },
          firmware_minimum: {
            type: "string",
            pattern: "^\\d+(\\.\\d+)*$",
            description: "firmware-minimum: the oldest firmware a file may pin, e.g. 1.4.0",
          },
          wifi_change_limit: {
            type: "integer",
            minimum: 0,
            description:
              "wifi-secret-mass-change: devices that may change WiFi secret in one run (default 5)",
          },
          rules: {
            type: "object",
            description: "Rule id → its level here; lowering a level needs a reason",
            additionalProperties: {
              type: "object",
              properties: {
                level: { type: "string", enum: ["mandatory", "advisory", "disabled"] },
                reason: {
                  type: "string",
                  minLength: 1,
                  description: "Why the level is lowered at this site",
                },
              },
              required: ["level"],
              additionalProperties: false,
            },
          },
        },
        additionalProperties: false,
      },
      by_tag: {
        type: "array",
        description:
          "Per tag: profiles merged into every device that carries it (after the site's, before the " +
          "device's own) and firewall aliases it joins. A rule matches the tags of the device file and " +
          "of the profiles it names, not those of profiles a rule adds",
        items: {
          type: "object",
          properties: {
            tag: { type: "string", pattern: FORMATS.name.pattern, description: "The tag the rule matches" },
            profiles: { $ref: "#/definitions/profileList", description: "Profiles for those devices" },
            aliases: {
              type: "array",
              items: { type: "string", pattern: FORMATS.name.pattern },
              uniqueItems: true,
              description: "Firewall aliases those devices join (as network.aliases; they need network.ip)",
            },
          },
          required: ["tag"],
          additionalProperties: false,
        },
      },
    },
    [],
  );
}

/** The committed schema files, `schema/<name>`, as their exact text. */
export function schemaFiles(): Record<string, string> {
  const text = (schema: JsonSchema) => `${JSON.stringify(schema, null, 2)}\n`;
  return {
    "device.schema.json": text(deviceSchema()),
    "profile.schema.json": text(profileSchema()),
    "site.schema.json": text(siteSchema()),
  };
}
