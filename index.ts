// The Pulumi program. `pulumi preview` / `pulumi up` run it through the nodejs language host;
// `shelly-fleet preview` / `up` run the same function as an Automation API inline program.
import * as pulumi from "@pulumi/pulumi";
import { Smoke } from "./providers/smoke";

export default async function program(): Promise<Record<string, unknown>> {
  const config = new pulumi.Config("shelly-fleet");
  const smoke = new Smoke("smoke", { message: config.get("message") ?? "hello from shelly-fleet" });
  return { message: smoke.message, length: smoke.length };
}
