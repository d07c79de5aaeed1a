// The value the engine sends in place of an input that is not known yet (an output of a resource
// still to be created) during previews: rpc.unknownValue in @pulumi/pulumi. check must let it pass.

export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isKnown(value: unknown): boolean {
  return value !== UNKNOWN;
}
