// KVS.* (G2DOC-KVS): a key-value store with etags and a revision shown as `sys.kvs_rev`.
import { sha256Hex } from "../digest";
import { type Json, type JsonObject, numberOr } from "../json";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

/** A `match` pattern (`*` any run, `?` one character) as an anchored regular expression. */
function glob(pattern: Json | undefined): RegExp {
  const source = String(pattern ?? "*")
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${source}$`);
}

export class Kvs {
  private readonly entries = new Map<string, { value: Json; etag: string }>();
  private rev: number;

  constructor(private readonly components: Gen2Components) {
    this.rev = numberOr(components.statusSys().kvs_rev, 0);
  }

  call(verb: string, params: JsonObject): Json {
    const key = params.key;
    const existing = typeof key === "string" ? this.entries.get(key) : undefined;
    const etagMatches = () => params.etag === undefined || params.etag === existing?.etag;
    switch (verb) {
      case "set": {
        if (typeof key !== "string" || key === "")
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'key'");
        if (params.value === undefined)
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'value'");
        if (existing && !etagMatches()) throw new RpcError(RPC_ERRORS.failedPrecondition, "etag mismatch");
        const rev = this.bump();
        const etag = sha256Hex(`${key}:${rev}`).slice(0, 28);
        this.entries.set(key, { value: params.value, etag });
        return { etag, rev };
      }
      case "get":
        if (!existing) throw new RpcError(RPC_ERRORS.notFound, `Key ${String(key)} not found`);
        return { etag: existing.etag, value: existing.value };
      case "getmany": {
        const match = glob(params.match);
        const items = [...this.entries]
          .filter(([k]) => match.test(k))
          .map(([k, v]) => ({ key: k, etag: v.etag, value: v.value }));
        return { items, offset: 0, total: items.length };
      }
      case "list": {
        const match = glob(params.match);
        const keys: JsonObject = {};
        for (const [k, v] of this.entries) if (match.test(k)) keys[k] = { etag: v.etag };
        return { keys, rev: this.rev };
      }
      case "delete":
        if (!existing) throw new RpcError(RPC_ERRORS.notFound, `Key ${String(key)} not found`);
        if (!etagMatches()) throw new RpcError(RPC_ERRORS.failedPrecondition, "etag mismatch");
        this.entries.delete(key as string);
        return { rev: this.bump() };
    }
    throw new RpcError(RPC_ERRORS.noHandler, `No handler for KVS.${verb}`);
  }

  private bump(): number {
    this.rev++;
    this.components.publishRev("kvs_rev", this.rev);
    return this.rev;
  }
}
