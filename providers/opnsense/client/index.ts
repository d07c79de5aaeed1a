// The OPNsense API client: HTTP only, no Pulumi, no fleet files.
export * from "./client";
export * from "./errors";
export {
  isCleartext,
  normalizeFingerprint,
  type OpnsenseConnection,
  OpnsenseHttp,
  type OpnsenseTransportOptions,
  tlsOptions,
} from "./http";
