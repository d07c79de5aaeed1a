// Script.* (G2DOC-SCRIPT): scripts are `script:N` components (their config goes through Script.SetConfig);
// their code is kept here. Nothing runs: Start and Stop only flip `running`.
import { isObject, type Json, type JsonObject, numberOr } from "../json";
import type { Gen2Components } from "./components";
import { RPC_ERRORS, RpcError } from "./errors";

const SCRIPT_CHUNK = 2048;
export const SCRIPT_VERBS = ["create", "delete", "list", "putcode", "getcode", "start", "stop"];

export class Scripts {
  private readonly code = new Map<number, string>();

  constructor(private readonly components: Gen2Components) {}

  call(verb: string, params: JsonObject): Json {
    const { config, status } = this.components;
    if (verb === "list") {
      const scripts = this.components.keysOfType("script").map((key) => {
        const scriptConfig = config[key] as JsonObject;
        const scriptStatus = status[key];
        return {
          id: scriptConfig.id ?? null,
          name: scriptConfig.name ?? null,
          enable: scriptConfig.enable ?? false,
          running: isObject(scriptStatus) && scriptStatus.running === true,
        };
      });
      return { scripts };
    }
    if (verb === "create") {
      const ids = this.components.keysOfType("script").map((key) => Number(key.split(":")[1]));
      const id = Math.max(0, ...ids) + 1;
      config[`script:${id}`] = {
        id,
        name: typeof params.name === "string" ? params.name : null,
        enable: false,
      };
      status[`script:${id}`] = { id, running: false };
      this.code.set(id, "");
      this.components.configChanged();
      return { id };
    }
    const key = this.components.key("script", params);
    const id = Number(params.id);
    const state = status[key] as JsonObject;
    const code = this.code.get(id) ?? "";
    switch (verb) {
      case "delete":
        if (state.running === true) throw new RpcError(RPC_ERRORS.failedPrecondition, "Script is running");
        delete config[key];
        delete status[key];
        this.code.delete(id);
        this.components.configChanged();
        return null;
      case "putcode": {
        if (typeof params.code !== "string")
          throw new RpcError(RPC_ERRORS.invalidArgument, "Missing required 'code'");
        const next = params.append === true ? code + params.code : params.code;
        this.code.set(id, next);
        return { len: next.length };
      }
      case "getcode": {
        const offset = numberOr(params.offset, 0);
        const data = code.slice(offset, offset + numberOr(params.len, SCRIPT_CHUNK));
        return { data, left: Math.max(0, code.length - offset - data.length) };
      }
      default: {
        const wasRunning = state.running === true;
        state.running = verb === "start";
        return { was_running: wasRunning };
      }
    }
  }
}
