// What Pulumi stores as a dynamic resource's provider: one line of source per resource type.
//
// The engine keeps the provider's source in the state of every resource, in its inputs and its
// outputs, and runs that copy for refresh and delete (#16826). `pulumi.dynamic.Resource` stores a
// serialized closure (3.7 KB even for bare forwarders, 73 % of a device's state at 1,000 devices);
// this stores a hand-written module of about 400 bytes that finds the installed shelly-fleet
// package above the provider process's directory (the Pulumi project) and returns the adapter
// `dynamicProvider` built there. It holds no credentials and always runs the package's current code.
import * as pulumi from "@pulumi/pulumi";

/** The module text the dynamic-provider host runs: `require(text).handler()` is the provider. */
export function storedProviderSource(modulePath: string, exportName: string): string {
  return [
    'exports.handler=()=>{const p=require("path"),f=require("fs");',
    "for(let d=process.cwd();;d=p.dirname(d)){",
    'const m=p.join(d,"package.json");',
    'if(f.existsSync(m)&&JSON.parse(f.readFileSync(m,"utf8")).name==="shelly-fleet")',
    `return require(p.join(d,${JSON.stringify(modulePath)}))[${JSON.stringify(exportName)}];`,
    'if(d===p.dirname(d))throw new Error("shelly-fleet: no shelly-fleet package above "+process.cwd())}}',
  ].join("");
}

/**
 * A dynamic resource (type `pulumi-nodejs:dynamic/<module>:<type>`, run by Pulumi's own dynamic
 * provider host like `pulumi.dynamic.Resource`) whose stored provider is `providerSource`.
 */
export abstract class StoredProviderResource extends pulumi.CustomResource {
  constructor(
    providerSource: string,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    module: string,
    type: string,
  ) {
    if ("__provider" in props) throw new Error("a dynamic resource must not define the __provider key");
    super(`pulumi-nodejs:dynamic/${module}:${type}`, name, { ...props, __provider: providerSource }, opts);
  }
}
