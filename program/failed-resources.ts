// Failed resources in a run that goes on past them (continue-on-error).
//
// The Node SDK rejects every output of a resource the engine reports failed, and a rejected output
// nobody handles ends the program with an "Unhandled exception" stack trace after the run. A plain
// `dependsOn` on a failed resource does the same. These helpers mark a resource's outputs handled
// and turn a dependency into an ordering that holds whether the dependency succeeded or not: the
// engine has already reported the failure, once, cleanly.
import * as pulumi from "@pulumi/pulumi";

/**
 * The promises of an Output that reject, unobserved, when its resource fails: the SDK derives
 * them from the value as soon as the Output exists (output.js, OutputImpl), whether or not the
 * program ever reads it. Not in the SDK's typings.
 */
interface OutputSettlements {
  isKnown?: Promise<boolean>;
  isSecret?: Promise<boolean>;
}

const ignore = (): void => undefined;

/**
 * Marks every output of `resource` handled, so its failure is reported by the engine alone. A
 * handler on the two promises each Output keeps is enough, and costs two reactions where
 * `pulumi.recover` would build a second Output per key (about 100 MB more at 1,000 devices).
 */
export function settleOnFailure<R extends pulumi.CustomResource>(resource: R): R {
  for (const value of [resource.urn, resource.id, ...Object.values(resource)]) {
    if (!pulumi.Output.isInstance(value)) continue;
    const { isKnown, isSecret } = value as unknown as OutputSettlements;
    isKnown?.catch(ignore);
    isSecret?.catch(ignore);
  }
  return resource;
}

/**
 * A stand-in for `resource` (a dynamic resource of this module, type and name) in `dependsOn`: the
 * dependent waits until the resource is done, and still runs when it failed.
 */
export function dependencyOn(
  resource: pulumi.CustomResource,
  dynamicModule: string,
  dynamicType: string,
  name: string,
): pulumi.Output<pulumi.Resource> {
  const urn = pulumi.createUrn(name, `pulumi-nodejs:dynamic/${dynamicModule}:${dynamicType}`);
  return pulumi.recover(resource.urn, () => urn).apply((known) => new pulumi.DependencyResource(known));
}
