// The entry point of plain `pulumi preview` / `up` (Pulumi.yaml `main`). @pulumi/pulumi's nodejs
// runner calls the module's export when it is a function, and otherwise publishes its properties
// as stack outputs: index.ts's default export alone would become an output named `default`.
import program from "../index";

export = program;
