// Errors of the OPNsense client: one hierarchy, each naming the firewall and the call
// (`POST kea/dhcpv4/add_reservation`). Messages never carry the API key, the secret or request bodies.

export interface OpnsenseErrorContext {
  /** The firewall's base URL, without credentials. */
  url: string;
  /** Method and command, e.g. `POST kea/dhcpv4/set_reservation`. */
  call: string;
  cause?: unknown;
}

/** Base class of every error the OPNsense client throws. */
export class OpnsenseError extends Error {
  readonly url: string;
  readonly call: string;

  constructor(detail: string, context: OpnsenseErrorContext) {
    super(`OPNsense ${context.url} ${context.call}: ${detail}`, { cause: context.cause });
    this.name = new.target.name;
    this.url = context.url;
    this.call = context.call;
  }
}

/** The firewall could not be reached (refused, reset, TLS handshake or certificate failure). */
export class OpnsenseConnectionError extends OpnsenseError {}

export class OpnsenseTimeoutError extends OpnsenseError {
  readonly timeoutMs: number;

  constructor(timeoutMs: number, context: OpnsenseErrorContext) {
    super(`no answer within ${timeoutMs} ms`, context);
    this.timeoutMs = timeoutMs;
  }
}

/** HTTP 401: the API key or secret was rejected. */
export class OpnsenseAuthError extends OpnsenseError {}

/** An HTTP status the call does not expect (403, 500 UserException, …), or an empty 200 body. */
export class OpnsenseHttpError extends OpnsenseError {
  readonly status: number;
  /** `errorMessage` or `message` of OPNsense's error body, when it has one. */
  readonly serverMessage: string;

  constructor(status: number, serverMessage: string, context: OpnsenseErrorContext) {
    super(`HTTP ${status}${serverMessage ? `: ${serverMessage}` : ""}`, context);
    this.status = status;
    this.serverMessage = serverMessage;
  }
}

/** HTTP 200 with `result: failed`: OPNsense refused the object; `validations` maps field → messages. */
export class OpnsenseValidationError extends OpnsenseError {
  /** Field name without the wrapper (`ip_address`, not `reservation.ip_address`) → messages. */
  readonly validations: Record<string, string[]>;

  constructor(object: string, validations: Record<string, string[]>, context: OpnsenseErrorContext) {
    const fields = Object.entries(validations).map(([field, messages]) => `${field}: ${messages.join(" ")}`);
    super(
      fields.length > 0
        ? `OPNsense rejected the ${object}: ${fields.join("; ")}`
        : `OPNsense rejected the ${object} without naming a field (wrong method or wrapper key)`,
      context,
    );
    this.validations = validations;
  }

  get fields(): string[] {
    return Object.keys(this.validations);
  }
}

/** HTTP 404 (`Endpoint not found`: the module is missing or too old), or an object that does not exist. */
export class OpnsenseNotFoundError extends OpnsenseError {}
