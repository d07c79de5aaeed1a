// The fleet layer: device and profile TOML files → merged desired state. Free of Pulumi.
export { formatFleetError } from "./format";
export { diskFiles, type FleetFiles, type LoadOptions, listSites, loadFleet, SITE_FILE } from "./load";
export { deviceSchema, profileSchema, schemaFiles, siteSchema } from "./schema";
export {
  isSecretRef,
  type ResolvedSecrets,
  resolveSecrets,
  type SecretUse,
  secretConfigKey,
  secretEnvName,
  secretUses,
} from "./secrets";
export { matchesTags, tagSet } from "./tags";
export type * from "./types";
