// The stack's config inside the policy pack: where the fleet is (`shelly-fleet:root`) and the
// secrets' values (WiFi key lengths). The engine sends the config, secrets decrypted, in the
// analyzer's ConfigureStack call; @pulumi/policy 1.21 keeps only the stack's tags from that call,
// so the pack wraps the handler it registers. Older engines put the config in PULUMI_CONFIG.
import * as grpc from "@grpc/grpc-js";

const config = new Map<string, string>();

try {
  const fromEnv: unknown = JSON.parse(process.env.PULUMI_CONFIG ?? "{}");
  if (fromEnv && typeof fromEnv === "object") {
    for (const [key, value] of Object.entries(fromEnv)) if (typeof value === "string") config.set(key, value);
  }
} catch {
  // Not JSON: no config from the environment.
}

/** A config value (`shelly-fleet:root`), once the engine has configured the stack. */
export function stackConfig(key: string): string | undefined {
  return config.get(key);
}

interface ConfigureStackCall {
  request: { getConfigMap(): { forEach(fn: (value: string, key: string) => void): void } };
}

/** Keeps the config of every ConfigureStack call; call it before `new PolicyPack`. */
export function keepStackConfig(): void {
  const addService = grpc.Server.prototype.addService;
  grpc.Server.prototype.addService = function (
    this: grpc.Server,
    service: grpc.ServiceDefinition,
    implementation: grpc.UntypedServiceImplementation,
  ): void {
    const configureStack = implementation.configureStack as
      | grpc.handleUnaryCall<unknown, unknown>
      | undefined;
    const wrapped: grpc.UntypedServiceImplementation = configureStack
      ? {
          ...implementation,
          configureStack: ((call, callback) => {
            try {
              (call as unknown as ConfigureStackCall).request.getConfigMap().forEach((value, key) => {
                config.set(key, value);
              });
            } catch {
              // An engine without config in the call: the environment's stays.
            }
            configureStack(call, callback);
          }) as grpc.handleUnaryCall<unknown, unknown>,
        }
      : implementation;
    addService.call(this, service, wrapped);
  };
}
