// Public surface of the Shelly clients. HTTP only: nothing here knows Pulumi, TOML or the model.
import { Gen1Client } from "./gen1";
import { Gen2Client } from "./gen2";
import { type Gen1ProbeResult, type Gen2ProbeResult, type ProbeOptions, probe } from "./probe";

// The client's callers (the CLI's adopt, the session) spell MACs as the client does.
export { normalizeMac } from "../../shared/net";
export type { DigestChallenge, RpcAuth } from "./digest";
export { DigestSession, digestResponse, parseDigestChallenge, RPC_HA2, sha256Hex, shellyHa1 } from "./digest";
export {
  ShellyAuthError,
  ShellyConnectionError,
  ShellyError,
  type ShellyErrorContext,
  ShellyHttpError,
  ShellyMacMismatchError,
  ShellyProtocolError,
  ShellyRpcError,
  ShellyTimeoutError,
} from "./errors";
export { Gen1Client, type Gen1ClientOptions } from "./gen1";
export {
  type CallOptions,
  type ConfigIfChanged,
  DEFAULT_GEN2_IN_FLIGHT,
  DEFAULT_RATE_LIMIT_DELAY_MS,
  DEFAULT_RATE_LIMIT_RETRIES,
  Gen2Client,
  type Gen2ClientOptions,
} from "./gen2";
export {
  DEFAULT_GLOBAL_LIMIT,
  DEFAULT_READ_RETRIES,
  DEFAULT_RETRY_DELAY_MS,
  DEFAULT_TIMEOUT_MS,
  defaultGate,
  RequestGate,
  type RetryEvent,
  type TransportOptions,
} from "./http";
export {
  assertMac,
  type Gen1ProbeResult,
  type Gen2ProbeResult,
  type ProbeOptions,
  type ProbeResult,
  probe,
} from "./probe";
export type * from "./types";

/** Credentials for a device: Gen1 may have any username, Gen2+ always uses `admin`. */
export interface ShellyCredentials {
  username?: string;
  password?: string;
}

/** A probed device with the client for its generation. */
export type ShellyConnection =
  | { generation: 1; probe: Gen1ProbeResult; client: Gen1Client }
  | { generation: 2 | 3 | 4; probe: Gen2ProbeResult; client: Gen2Client };

/**
 * Probes `host` (checking its MAC when `options.expectedMac` is given) and returns the matching
 * client. Authentication is not tried here: the first call that needs it will, and with
 * `expectedMac` only after the device has shown that MAC without credentials.
 */
export async function connect(
  host: string,
  credentials: ShellyCredentials = {},
  options: ProbeOptions = {},
): Promise<ShellyConnection> {
  const result = await probe(host, options);
  // The clients keep checking the identity before they send credentials (after a reboot, say).
  const { expectedMac, ...transport } = options;
  if (result.generation === 1) {
    const client = new Gen1Client(host, {
      ...transport,
      username: credentials.username,
      password: credentials.password,
      expectedMac,
    });
    client.identityRead(result.mac);
    return { generation: 1, probe: result, client };
  }
  return {
    generation: result.generation,
    probe: result,
    client: new Gen2Client(host, { ...transport, password: credentials.password, expectedMac }),
  };
}
