// JSON-RPC errors (API.md 3.3): thrown by any method handler, turned into a frame or an HTTP status by framing.ts.

export const RPC_ERRORS = {
  invalidArgument: -103,
  notFound: -105,
  alreadyExists: -106,
  resourceExhausted: -108,
  failedPrecondition: -109,
  unavailable: -114,
  noHandler: 404,
} as const;

export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}
