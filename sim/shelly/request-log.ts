// What a device was asked, so that tests and benchmarks can count reads and writes.

export type RequestKind = "read" | "write";

export interface RequestLogEntry {
  /** When the request arrived (ms since the epoch). */
  time: number;
  /** HTTP method and path without the query string. */
  method: string;
  path: string;
  /** Gen2+: the RPC method as the client spelled it. */
  rpc?: string;
  kind: RequestKind;
  /** HTTP status sent; 0 when the connection was reset or never answered. */
  status: number;
  /** Gen2+: the RPC error code, when the call failed. */
  error?: number;
  /** The fault that was injected into this request, if any. */
  fault?: string;
  /** Whether the request carried credentials: an Authorization header or a JSON-RPC `auth` object. */
  credentials: boolean;
}

export class RequestLog {
  private readonly list: RequestLogEntry[] = [];

  add(entry: RequestLogEntry): void {
    this.list.push(entry);
  }

  entries(): RequestLogEntry[] {
    return [...this.list];
  }

  /** How many requests match, e.g. `count({ kind: "write" })` or `count({ rpc: "Switch.SetConfig" })`. */
  count(match: Partial<RequestLogEntry> = {}): number {
    return this.list.filter((entry) =>
      Object.entries(match).every(([key, value]) => entry[key as keyof RequestLogEntry] === value),
    ).length;
  }

  clear(): void {
    this.list.length = 0;
  }
}
