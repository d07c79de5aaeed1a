// Lines in the engine's log for one resource, from a dynamic provider's process. The SDK starts
// that process with the engine's address as its argument but does not connect its log to it
// (pulumi/pulumi#6065), so `pulumi.log` there prints nowhere the user looks. This speaks the
// engine's Log call itself: a line under the resource (`info`), or its status text in the
// progress display (`status`, ephemeral).
import * as grpc from "@grpc/grpc-js";
import { EngineClient } from "@pulumi/pulumi/proto/engine_grpc_pb";
import { LogRequest, LogSeverity } from "@pulumi/pulumi/proto/engine_pb";

export interface ResourceLog {
  info(message: string): Promise<void>;
  status(message: string): Promise<void>;
}

const SILENT: ResourceLog = { info: async () => undefined, status: async () => undefined };

let engine: EngineClient | undefined;
/** One call at a time: the engine shows lines in the order its calls arrive. */
let queue: Promise<void> = Promise.resolve();

/** The engine's address when this process is the SDK's dynamic-provider host, else undefined. */
function engineAddress(): string | undefined {
  const [, script, address] = process.argv;
  return script?.includes("dynamic-provider") && address && /:\d+$/.test(address) ? address : undefined;
}

/** A log for the resource `urn`; silent outside the provider host (tests, the CLI's own reads). */
export function resourceLog(urn: string | undefined): ResourceLog {
  const address = engineAddress();
  if (!urn || !address) return SILENT;
  engine ??= new EngineClient(address, grpc.credentials.createInsecure());
  const client = engine;
  const call = (message: string, ephemeral: boolean) =>
    new Promise<void>((resolve) => {
      const request = new LogRequest();
      request.setSeverity(LogSeverity.INFO);
      request.setMessage(message);
      request.setUrn(urn);
      request.setEphemeral(ephemeral);
      // A log line that cannot be delivered must never fail the resource's operation.
      client.log(request, () => resolve());
    });
  const send = (message: string, ephemeral: boolean) => {
    queue = queue.then(() => call(message, ephemeral));
    return queue;
  };
  return { info: (message) => send(message, false), status: (message) => send(message, true) };
}
