// A minimal dynamic resource that proves the chain the real providers stand on: engine,
// program, closure serialization, the dynamic-provider plugin process, check/diff/read/update.
// It keeps its state in Pulumi only; `npm run demo` uses it until the simulated fleet exists.
import * as pulumi from "@pulumi/pulumi";

/** Bump when read or delete change: refresh and delete run the code stored in state (#16826). */
export const SMOKE_PROVIDER_VERSION = 1;

export interface SmokeInputs {
  message: string;
  providerVersion: number;
}

export interface SmokeOutputs extends SmokeInputs {
  length: number;
}

/** Only the declared inputs: the engine also passes the serialized provider code as `__provider`. */
function inputsOf(props: SmokeInputs): SmokeInputs {
  return { message: props.message, providerVersion: props.providerVersion };
}

function outputsOf(props: SmokeInputs): SmokeOutputs {
  return { ...inputsOf(props), length: props.message.length };
}

export const smokeProvider: pulumi.dynamic.ResourceProvider<SmokeInputs, SmokeOutputs> = {
  async check(_olds, news) {
    const failures =
      typeof news.message === "string" ? [] : [{ property: "message", reason: "must be a string" }];
    return { inputs: news, failures };
  },

  // Pure, and blind to `__provider`: a new provider build alone is not a change.
  async diff(_id, olds, news) {
    const changed = olds.message !== news.message || olds.providerVersion !== news.providerVersion;
    return { changes: changed };
  },

  async create(inputs) {
    return { id: `smoke-${crypto.randomUUID()}`, outs: outputsOf(inputs) };
  },

  async read(id, props) {
    if (props === undefined) {
      throw new Error(
        `smoke resource ${id}: read needs the state from a previous run (pulumi import is not supported)`,
      );
    }
    // Returning inputs makes later diffs compare against what was read (>= 3.216). The SDK
    // types `inputs` as Outputs, though the engine stores them as the resource's inputs.
    return { id, props: outputsOf(props), inputs: inputsOf(props) as SmokeOutputs };
  },

  async update(_id, _olds, news) {
    return { outs: outputsOf(news) };
  },
};

export interface SmokeArgs {
  message: pulumi.Input<string>;
}

export class Smoke extends pulumi.dynamic.Resource {
  declare readonly message: pulumi.Output<string>;
  declare readonly length: pulumi.Output<number>;

  constructor(name: string, args: SmokeArgs, opts?: pulumi.CustomResourceOptions) {
    // A fresh props object per resource: the base class adds `__provider` to it.
    super(
      smokeProvider,
      name,
      { length: undefined, providerVersion: SMOKE_PROVIDER_VERSION, ...args },
      opts,
      "shelly-fleet",
      "Smoke",
    );
  }
}
