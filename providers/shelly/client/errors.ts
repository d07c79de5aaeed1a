// Errors of the Shelly clients: one hierarchy, each naming the device (host) and the call.
// Messages never carry request parameters, so passwords, WiFi keys and ha1 cannot leak through them.

/** Where a failure happened: the device's host (as given to the client) and the call, e.g. `Sys.SetConfig` or `GET /settings/relay/0`. */
export interface ShellyErrorContext {
  host: string;
  call: string;
  cause?: unknown;
}

/** Base class of every error the Shelly clients throw. */
export class ShellyError extends Error {
  readonly host: string;
  readonly call: string;

  constructor(detail: string, context: ShellyErrorContext) {
    super(`${context.host} ${context.call}: ${detail}`, { cause: context.cause });
    this.name = new.target.name;
    this.host = context.host;
    this.call = context.call;
  }
}

/** The device could not be reached, or dropped the connection (refused, reset, unreachable). */
export class ShellyConnectionError extends ShellyError {}

/** The device did not answer within the call's timeout. */
export class ShellyTimeoutError extends ShellyError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, context: ShellyErrorContext) {
    super(`no answer within ${timeoutMs} ms`, context);
    this.timeoutMs = timeoutMs;
  }
}

/** Authentication is required and missing, or the credentials were rejected. */
export class ShellyAuthError extends ShellyError {}

/** A Gen2+ JSON-RPC error frame: `code` as sent by the device (-103 invalid argument, -105 not found, 404 no handler, …). */
export class ShellyRpcError extends ShellyError {
  readonly code: number;
  readonly rpcMessage: string;

  constructor(code: number, rpcMessage: string, context: ShellyErrorContext) {
    super(`RPC error ${code}: ${rpcMessage}`, context);
    this.code = code;
    this.rpcMessage = rpcMessage;
  }
}

/** An HTTP status the call does not expect (Gen1 4xx with a text/plain reason, 5xx, …). */
export class ShellyHttpError extends ShellyError {
  readonly status: number;
  /** The start of the response body: Gen1 explains its 4xx there. */
  readonly body: string;

  constructor(status: number, body: string, context: ShellyErrorContext) {
    const snippet = body.length > 200 ? `${body.slice(0, 200)}…` : body;
    super(`HTTP ${status}${snippet ? `: ${snippet}` : ""}`, context);
    this.status = status;
    this.body = snippet;
  }
}

/** The device answered with something that is not the expected protocol (not JSON, wrong frame, unknown generation). */
export class ShellyProtocolError extends ShellyError {}

/** The device at this host is not the one expected: DHCP moved it, so nothing may be written to it. */
export class ShellyMacMismatchError extends ShellyError {
  readonly expectedMac: string;
  readonly actualMac: string;

  constructor(expectedMac: string, actualMac: string, context: ShellyErrorContext) {
    super(
      `a different device (MAC ${actualMac}) answers at ${context.host}; expected ${expectedMac}`,
      context,
    );
    this.expectedMac = expectedMac;
    this.actualMac = actualMac;
  }
}
