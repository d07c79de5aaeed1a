// Failed resources in a run that goes on past them (continue-on-error).
//
// The Node SDK rejects every output of a resource the engine reports failed, and a rejected output
// nobody handles ends the program with an "Unhandled exception" stack trace after the run. A plain
// `dependsOn` on a failed resource does the same. These helpers mark a resource's outputs handled
// and turn a dependency into an ordering that holds whether the dependency succeeded or not: the
// engine has already reported the failure, once, cleanly.
import * as pulumi from "@pulumi/pulumi";

/** Marks every output of `resource` handled, so its failure is reported by the engine alone. */
export function settleOnFailure<R extends pulumi.CustomResource>(resource: R): R {
  for (const value of [resource.urn, resource.id, ...Object.values(resource)]) {
    if (pulumi.Output.isInstance(value)) pulumi.recover(value, () => undefined);
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
