// The OPNsense API client: HTTP only, no Pulumi, no fleet files.

export { isCleartext } from "../../shared/net";
export * from "./client";
export * from "./errors";
export {
  normalizeFingerprint,
  type OpnsenseConnection,
  OpnsenseHttp,
  type OpnsenseTransportOptions,
  tlsOptions,
} from "./http";
