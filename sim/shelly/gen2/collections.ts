// Schedule.* and Webhook.* (API.md 3.4): two tables of the same shape, each with its own limit, checks and rev.
import { isObject, type Json, type JsonObject, numberOr } from "../json";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

const MAX_SCHEDULES = 20;
const MAX_CALLS_PER_JOB = 5;
/** 20 webhooks, 10 on battery devices (G2DOC-WH); a `devicepower` component marks a battery device. */
const MAX_WEBHOOKS = 20;
const MAX_WEBHOOKS_BATTERY = 10;

/** What tells the two tables apart. */
interface TableRules {
  kind: "schedule" | "webhook";
  /** The key of the items in the List answer. */
  listKey: "jobs" | "hooks";
  limit(): number;
  /** The stored item for these fields, or an RpcError; `ownId` is the item being updated. */
  validate(fields: JsonObject, ownId: Json | undefined, items: readonly JsonObject[]): JsonObject;
}

export class Collection {
  private readonly items: JsonObject[] = [];
  private rev: number;
  private nextId = 1;

  constructor(
    private readonly components: Gen2Components,
    private readonly rules: TableRules,
  ) {
    this.rev = numberOr(components.statusSys()[`${rules.kind}_rev`], 0);
  }

  call(verb: string, params: JsonObject): Json {
    const { kind } = this.rules;
    switch (verb) {
      case "list":
        return { [this.rules.listKey]: structuredClone(this.items), rev: this.rev };
      case "create": {
        const limit = this.rules.limit();
        if (this.items.length >= limit)
          throw new RpcError(RPC_ERRORS.resourceExhausted, `At most ${limit} ${kind}s`);
        const { id: _ignored, ...fields } = params;
        const item = this.rules.validate(fields, undefined, this.items);
        const id = this.nextId++;
        this.items.push({ id, ...item });
        return { id, rev: this.bump() };
      }
      case "update": {
        const item = this.find(params.id);
        const { id, ...fields } = params;
        Object.assign(item, this.rules.validate({ ...item, ...fields }, id, this.items));
        return { rev: this.bump() };
      }
      case "delete":
        this.items.splice(this.items.indexOf(this.find(params.id)), 1);
        return { rev: this.bump() };
      case "deleteall":
        this.items.length = 0;
        return { rev: this.bump() };
    }
    throw new RpcError(RPC_ERRORS.noHandler, `No handler for ${kind}.${verb}`);
  }

  private find(id: Json | undefined): JsonObject {
    const item = this.items.find((i) => i.id === id);
    if (!item) throw new RpcError(RPC_ERRORS.notFound, `Argument 'id', value ${String(id)} not found!`);
    return item;
  }

  private bump(): number {
    this.rev++;
    this.components.publishRev(`${this.rules.kind}_rev`, this.rev);
    return this.rev;
  }
}

export function schedules(components: Gen2Components): Collection {
  return new Collection(components, {
    kind: "schedule",
    listKey: "jobs",
    limit: () => MAX_SCHEDULES,
    validate: validJob,
  });
}

export function webhooks(components: Gen2Components): Collection {
  return new Collection(components, {
    kind: "webhook",
    listKey: "hooks",
    limit: () => (components.keysOfType("devicepower").length > 0 ? MAX_WEBHOOKS_BATTERY : MAX_WEBHOOKS),
    validate: (fields, ownId, hooks) => validHook(components, fields, ownId, hooks),
  });
}

function validJob(fields: JsonObject): JsonObject {
  // A 6-field cron with seconds; sunrise/sunset forms start with "@" (G2DOC-SCHED).
  if (
    typeof fields.timespec !== "string" ||
    !(fields.timespec.startsWith("@") || fields.timespec.trim().split(/\s+/).length === 6)
  ) {
    throw new RpcError(RPC_ERRORS.invalidArgument, "timespec must be a 6-field cron expression");
  }
  const calls = fields.calls;
  if (!Array.isArray(calls) || calls.length === 0 || calls.length > MAX_CALLS_PER_JOB) {
    throw new RpcError(RPC_ERRORS.invalidArgument, `calls must hold 1 to ${MAX_CALLS_PER_JOB} calls`);
  }
  if (!calls.every((c) => isObject(c) && typeof c.method === "string")) {
    throw new RpcError(RPC_ERRORS.invalidArgument, "every call needs a method");
  }
  return { enable: fields.enable ?? true, ...fields };
}

function validHook(
  components: Gen2Components,
  fields: JsonObject,
  ownId: Json | undefined,
  hooks: readonly JsonObject[],
): JsonObject {
  if (typeof fields.event !== "string" || !fields.event.includes(".")) {
    throw new RpcError(RPC_ERRORS.invalidArgument, "event must be <component>.<event>, e.g. switch.on");
  }
  const cid = numberOr(fields.cid, 0);
  const type = fields.event.split(".")[0] as string;
  if (!(type in components.config) && !(`${type}:${cid}` in components.config)) {
    throw new RpcError(RPC_ERRORS.invalidArgument, `No component ${type}:${cid} for event ${fields.event}`);
  }
  if (!Array.isArray(fields.urls) || !fields.urls.every((u) => typeof u === "string")) {
    throw new RpcError(RPC_ERRORS.invalidArgument, "urls must be an array of strings");
  }
  const name = fields.name ?? null;
  if (name !== null && hooks.some((h) => h.name === name && h.id !== ownId)) {
    throw new RpcError(RPC_ERRORS.alreadyExists, `A webhook named ${String(name)} already exists`);
  }
  return { cid, enable: fields.enable ?? true, name, ssl_ca: "ca.pem", ...fields };
}
