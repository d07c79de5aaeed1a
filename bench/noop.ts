// The engine's floor for the benchmark: the same number of dynamic resources as the fleet, with
// a provider that does nothing, driven the same way (Automation API, inline program, the real
// engine). Usage: node dist/bench/noop.js <up|preview> --dir PROJECT --stack S --count N [--changed K]
import { parseArgs } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { openStack } from "../automation/stack";

interface NoopInputs {
  value: string;
}

const noopProvider: pulumi.dynamic.ResourceProvider<NoopInputs, NoopInputs> = {
  async check(_olds, news) {
    return { inputs: news };
  },
  async diff(_id, olds, news) {
    return { changes: olds.value !== news.value };
  },
  async create(inputs) {
    return { id: `noop-${inputs.value}`, outs: { value: inputs.value } };
  },
  async read(id, props) {
    return { id, props, inputs: props };
  },
  async update(_id, _olds, news) {
    return { outs: { value: news.value } };
  },
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name: string, value: string) {
    super(noopProvider, name, { value }, {}, "bench", "Noop");
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    args: process.argv.slice(2),
    allowPositionals: true,
    options: {
      dir: { type: "string" },
      stack: { type: "string" },
      count: { type: "string" },
      changed: { type: "string", default: "0" },
      parallel: { type: "string" },
    },
  });
  const count = Number(values.count);
  const changed = Number(values.changed);
  const program = async () => {
    // The first `changed` resources get a new value: the 1%-drift scenarios' counterpart.
    for (let i = 0; i < count; i++) new Noop(`noop-${i}`, i < changed ? `${i}-changed` : `${i}`);
    return {};
  };
  const stack = await openStack({
    projectDir: values.dir as string,
    stackName: values.stack as string,
    program,
    create: true,
  });
  const parallel = values.parallel ? Number(values.parallel) : undefined;
  if (positionals[0] === "up") await stack.up({ parallel });
  else await stack.preview({ parallel });
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exitCode = 1;
});
