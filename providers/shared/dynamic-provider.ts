// The one adapter from Pulumi's dynamic-provider interface to a resource's lifecycle module.
//
// Pulumi stores a dynamic resource's provider source in the state of every resource and runs that
// copy for refresh and delete (#16826). So what a resource stores is one line that loads the
// adapter `dynamicProvider` builds from the installed shelly-fleet package (stored-provider.ts):
// the package's current code runs, and no credentials are stored (those come from stack config in
// `configure`). States written before keep forwarders that load the same adapters.
import type * as pulumi from "@pulumi/pulumi";

/** Reads the stack config, with the namespace: `shelly-fleet:opnsense.url`. */
export type ConfigLookup = (key: string) => string | undefined;

/** What a resource does at each step, as plain functions over plain objects: no Pulumi in them. */
export interface ResourceLifecycle<Inputs, Outputs> {
  /** Called once per provider with the whole stack config (decrypted). */
  configure(get: ConfigLookup): void;
  /** Pure and fast; the engine sends unknown values (shared/unknown.ts) during previews. */
  check(news: Inputs): pulumi.dynamic.CheckFailure[];
  /** Pure and fast: the engine runs it one resource at a time. */
  diff(olds: Outputs, news: Inputs): pulumi.dynamic.DiffResult;
  create(inputs: Inputs): Promise<Outputs>;
  /** The resource as it is now; undefined when it is gone, which drops it from the state. */
  read(id: string, props: Outputs): Promise<Outputs | undefined>;
  update(olds: Outputs, news: Inputs, id: string): Promise<Outputs>;
  /** Absent when deleting only releases the resource from management and leaves it as it is. */
  delete?(id: string, props: Outputs): Promise<void>;
}

export interface DynamicProviderSpec<Inputs, Outputs> {
  /** The lifecycle, from the installed package: `() => loadFromPackage("dist/…/lifecycle.js")`. */
  lifecycle: () => ResourceLifecycle<Inputs, Outputs>;
  /**
   * Every input key: the engine's props also hold `__provider` and the outputs, and only these
   * reach the lifecycle. A record rather than a list, so that a key missing here fails to compile.
   */
  inputKeys: Record<keyof Inputs, true>;
  /** The resource's id, from its outputs. */
  id: (outs: Outputs) => string;
  /** Inputs a refresh records from other outputs than their own key (default: none). */
  refreshedInputs?: (outs: Outputs) => Partial<Inputs>;
  /**
   * The inputs as the engine holds them, when that shape differs from the lifecycle's (default:
   * the same): the engine names top-level inputs in its diff, so a resource may spread one value
   * over several of them. The outputs keep the lifecycle's shape. A loader, like `lifecycle`.
   */
  engineShape?: () => EngineShape<Inputs>;
}

/** The translation between the lifecycle's inputs and the engine's (see DynamicProviderSpec). */
export interface EngineShape<Inputs> {
  toEngine(inputs: Inputs): Record<string, unknown>;
  fromEngine(props: Record<string, unknown>): Inputs;
}

/** A resource's arguments: each field of its spec, or an Output of it. */
export type ResourceArgs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

export function dynamicProvider<Inputs extends object, Outputs extends Inputs>(
  spec: DynamicProviderSpec<Inputs, Outputs>,
): pulumi.dynamic.ResourceProvider<Inputs, Outputs> {
  const { lifecycle, inputKeys, id, refreshedInputs, engineShape } = spec;
  /** The lifecycle's inputs from what the engine sent as inputs. */
  const fromEngine = (props: Inputs): Inputs =>
    engineShape ? engineShape().fromEngine(props as Record<string, unknown>) : inputsOf(props);
  const toEngine = (inputs: Inputs): Inputs =>
    (engineShape ? engineShape().toEngine(inputs) : inputs) as Inputs;
  /** The lifecycle's inputs from its outputs, which hold them. */
  const inputsOf = (props: Inputs): Inputs =>
    Object.fromEntries(
      Object.keys(inputKeys).flatMap((key) => {
        const value = props[key as keyof Inputs];
        return value === undefined ? [] : [[key, value]];
      }),
    ) as Inputs;

  return {
    async configure(req) {
      lifecycle().configure((key) => req.config.get(key));
    },

    async check(_olds, news) {
      return { inputs: news, failures: lifecycle().check(fromEngine(news)) };
    },

    async diff(_id, olds, news) {
      return lifecycle().diff(olds, fromEngine(news));
    },

    async create(inputs) {
      const outs = await lifecycle().create(fromEngine(inputs));
      return { id: id(outs), outs };
    },

    // The live values become the inputs, so the next preview compares the files with the live
    // resource and shows each drifted field.
    async read(resourceId, props) {
      if (props === undefined) throw new Error(`${resourceId}: only a resource in the state can be read`);
      const outs = await lifecycle().read(resourceId, props);
      if (outs === undefined) return {};
      const inputs = toEngine({ ...inputsOf(outs), ...refreshedInputs?.(outs) });
      // The SDK types ReadResult.inputs as Outputs; the engine records them as the inputs.
      return { id: id(outs), props: outs, inputs: inputs as Outputs };
    },

    async update(resourceId, olds, news) {
      return { outs: await lifecycle().update(olds, fromEngine(news), resourceId) };
    },

    async delete(resourceId, props) {
      await lifecycle().delete?.(resourceId, props);
    },
  };
}
