// preview, up, refresh, destroy, demo: the real Pulumi engine on this project's program.
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { LocalWorkspace, Stack } from "@pulumi/pulumi/automation";
import {
  type CommandLineConfig,
  loadProgram,
  openStack,
  PACKAGE_ROOT,
  saveConfig,
  withCommandLineConfig,
} from "../../automation/stack";
import { UsageError } from "../../errors";
import { PreviewDigestBuilder } from "../../review/preview-json";
import { type Command, print } from "../command";
import { askYesNo, canAsk } from "../confirm";
import {
  EXIT_DEVICES_NEED_ATTENTION,
  folded,
  previewThenUp,
  previewWithFieldSummary,
  upWithSummary,
} from "../engine-runs";
import { readDevicesBeforeCreate } from "../live-before-create";
import { type ArgToken, combinedExitCode, renderSiteOutcomes, runSites, withoutOptions } from "../multi-site";
import { checkPolicies, POLICY_PACK_DIR } from "../policy-check";
import { namespaced, readSecrets } from "../secret-input";
import { tagTargets } from "../tag-targets";

const OPTIONS_HELP = `Options:
  -s, --stack NAME          the stack (one per site); default: demo. A stack that does not
                            exist is refused, with the names of those that do. preview and up
                            take several (-s north -s south): one shelly-fleet process per
                            stack, their lines prefixed with its name, a table of how each
                            ended, and the most serious exit code (README, "Several sites")
      --sites-parallel N    with several stacks: how many run at once (default: all)
      --create              create the stack when it does not exist
  -C, --dir DIR             the Pulumi project directory; default: this package
  -c, --config KEY=VALUE    a stack config value (repeatable; a key without a namespace gets
                            "shelly-fleet:"). preview uses it for that run only; up, refresh
                            and destroy save it in stacks/Pulumi.<stack>.yaml
      --secret KEY          a secret (device passwords, WiFi keys), stored encrypted: its value
                            is read from standard input, or asked for without echo on a terminal.
                            Never on the command line: every local user can read that (ps), so
                            --secret KEY=VALUE is refused
      --secret-file KEY=PATH   the secret's value is the file's content (one final newline dropped)
      --secret-env KEY=VAR     the secret's value is the environment variable VAR
  -p, --parallel N          device operations in flight at once (the engine's default: 4 per CPU)
  -t, --tag TAG             preview and up: only the devices with this tag (repeatable: any of
                            them) and their DHCP reservations, through Pulumi's --target
  -v, --verbose             every line of the engine's progress (default: only what changes or
                            fails, the diagnostics and the summary)
      --no-policies         preview and up: skip the safety policies (README, "Safety policies");
                            said in the output. By default they run first: violations are listed
                            per device, and up stops on a mandatory one before any device is
                            read or written; the engine runs the policy pack (policies/) too
      --acknowledge-wifi-change   up and preview: more devices of a site than its
                            wifi_change_limit may change WiFi secret in this run
  -h, --help                show this help`;

function parseConfig(pairs: string[]): Record<string, string> {
  const config: Record<string, string> = {};
  for (const pair of pairs) {
    const eq = pair.indexOf("=");
    if (eq <= 0) throw new UsageError(`--config expects KEY=VALUE, got "${pair}"`);
    config[namespaced(pair.slice(0, eq))] = pair.slice(eq + 1);
  }
  return config;
}

interface EngineFlags {
  expectNoChanges: boolean;
  json: boolean;
  parallel?: number;
  /** up: asks before applying; undefined with --yes. */
  confirm?: () => Promise<boolean>;
  /** up --skip-preview: apply without the preview first (scheduled runs, large fleets). */
  skipPreview?: boolean;
  /** preview: the stack config with the command line's values, in place of the committed file. */
  configFile?: string;
  /** preview --base: mark each field drift or change against this commit. */
  baseRef?: string;
  /** Every line of the engine's progress, not only the changes. */
  verbose: boolean;
  /** `--tag`: URN patterns of the tagged devices' resources. */
  target?: string[];
  /** The policy pack, unless --no-policies. */
  policyPacks?: string[];
}

type EngineAct = (stack: Stack, flags: EngineFlags) => Promise<number | undefined>;

/** preview or up over several stacks, one process each (cli/multi-site.ts). */
async function severalSites(
  name: string,
  stacks: string[],
  options: { json: boolean; yes: boolean; secret: string[]; config: string[]; sitesParallel?: string },
  argv: string[],
  tokens: ArgToken[],
): Promise<number> {
  if (name !== "preview" && name !== "up") {
    throw new UsageError(`${name} takes one --stack (several: preview and up only)`);
  }
  if (options.json) throw new UsageError("--json takes one --stack: its document is one stack's preview");
  if (name === "up" && !options.yes) {
    throw new UsageError("up on several stacks does not ask: preview them, then pass --yes to apply");
  }
  if ("shelly-fleet:site" in parseConfig(options.config)) {
    throw new UsageError("--config site=… names one stack's site: give it with one --stack");
  }
  if (options.secret.length > 0) {
    throw new UsageError(
      "--secret reads standard input once, not once per stack: use --secret-file or --secret-env",
    );
  }
  const sitesParallel = options.sitesParallel === undefined ? stacks.length : Number(options.sitesParallel);
  if (!(Number.isInteger(sitesParallel) && sitesParallel > 0)) {
    throw new UsageError(`--sites-parallel expects a positive whole number, got "${options.sitesParallel}"`);
  }
  const outcomes = await runSites({
    command: name,
    stacks,
    argv: withoutOptions(argv, tokens, ["stack", "sites-parallel"]),
    sitesParallel,
    stdout: print,
    stderr: (text) => process.stderr.write(text),
  });
  print(renderSiteOutcomes(outcomes, sitesParallel));
  return combinedExitCode(outcomes);
}

function engineCommand(name: string, summary: string, extraHelp: string, act: EngineAct): Command {
  const help = `Usage: shelly-fleet ${name} [options]\n\n${summary}.\n\n${OPTIONS_HELP}\n${extraHelp}`;
  return {
    name,
    summary,
    help,
    async run(argv) {
      const { values, positionals, tokens } = parseArgs({
        args: argv,
        allowPositionals: true,
        tokens: true,
        options: {
          stack: { type: "string", short: "s", multiple: true, default: ["demo"] },
          "sites-parallel": { type: "string" },
          create: { type: "boolean", default: false },
          yes: { type: "boolean", short: "y", default: false },
          "skip-preview": { type: "boolean", default: false },
          dir: { type: "string", short: "C" },
          config: { type: "string", short: "c", multiple: true, default: [] },
          secret: { type: "string", multiple: true, default: [] },
          "secret-file": { type: "string", multiple: true, default: [] },
          "secret-env": { type: "string", multiple: true, default: [] },
          "expect-no-changes": { type: "boolean", default: false },
          json: { type: "boolean", default: false },
          base: { type: "string", short: "b" },
          parallel: { type: "string", short: "p" },
          verbose: { type: "boolean", short: "v", default: false },
          tag: { type: "string", short: "t", multiple: true, default: [] },
          "no-policies": { type: "boolean", default: false },
          "acknowledge-wifi-change": { type: "boolean", default: false },
          "force-firmware": { type: "boolean", default: false },
          help: { type: "boolean", short: "h", default: false },
        },
      });
      if (values.help) {
        print(help);
        return 0;
      }
      if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}"`);
      if (values["expect-no-changes"] && name !== "preview") {
        throw new UsageError("--expect-no-changes applies to preview only");
      }
      if (values.json && name !== "preview") throw new UsageError("--json applies to preview only");
      if (values.base !== undefined && (name !== "preview" || values.json)) {
        throw new UsageError("--base applies to preview's text output only (pr-comment takes it for --json)");
      }
      if (values.yes && name !== "up") throw new UsageError("--yes applies to up only");
      if (values["force-firmware"] && name !== "up")
        throw new UsageError("--force-firmware applies to up only");
      if (values.tag.length > 0 && name !== "preview" && name !== "up") {
        throw new UsageError("--tag applies to preview and up only");
      }
      const policies = name === "preview" || name === "up";
      if ((values["no-policies"] || values["acknowledge-wifi-change"]) && !policies) {
        throw new UsageError("--no-policies and --acknowledge-wifi-change apply to preview and up only");
      }
      if (values["skip-preview"] && !(name === "up" && values.yes)) {
        throw new UsageError("--skip-preview applies to up --yes only (nothing is shown to ask about)");
      }
      // As `pulumi up`: never apply unseen when nobody can be asked. Checked first: nothing runs.
      if (name === "up" && !values.yes && !canAsk()) {
        throw new UsageError("up asks before applying, but this is not a terminal: pass --yes to apply");
      }
      const parallel = values.parallel === undefined ? undefined : Number(values.parallel);
      if (parallel !== undefined && !(Number.isInteger(parallel) && parallel > 0)) {
        throw new UsageError(`--parallel expects a positive whole number, got "${values.parallel}"`);
      }
      const stacks = [...new Set(values.stack)];
      if (stacks.length > 1 || values["sites-parallel"] !== undefined) {
        return severalSites(
          name,
          stacks,
          {
            json: values.json,
            yes: values.yes,
            secret: values.secret,
            config: values.config,
            sitesParallel: values["sites-parallel"],
          },
          argv,
          tokens,
        );
      }
      const stackName = stacks[0] as string;
      const commandLine: CommandLineConfig = {
        config: parseConfig(values.config),
        secrets: await readSecrets({
          stdin: values.secret,
          files: values["secret-file"],
          env: values["secret-env"],
        }),
      };
      const projectDir = path.resolve(values.dir ?? PACKAGE_ROOT);
      const stack = await openStack({
        projectDir,
        stackName,
        program: loadProgram(),
        create: values.create,
      });
      let policyPacks: string[] | undefined;
      if (policies && values["no-policies"]) {
        (values.json ? (text: string) => process.stderr.write(text) : print)(
          "WARNING: --no-policies: the safety policies are NOT checked in this run\n\n",
        );
      } else if (policies) {
        const check = await checkPolicies(
          stack,
          projectDir,
          commandLine,
          values["acknowledge-wifi-change"],
          values.json ? (text) => process.stderr.write(text) : print,
        );
        if (name === "up" && check.mandatory > 0) {
          throw new UsageError(
            `up stopped: ${check.mandatory} mandatory policy violation${check.mandatory === 1 ? "" : "s"} above; no device was read or written (fix the files, or lower the rule's level in site.toml with a reason)`,
            1,
          );
        }
        // The engine's analyzer reads the same fleet (policies/pack.ts).
        (stack.workspace as LocalWorkspace).envVars.SHELLY_FLEET_ROOT = check.root;
        policyPacks = [POLICY_PACK_DIR];
      }
      const flags: EngineFlags = {
        policyPacks,
        expectNoChanges: values["expect-no-changes"],
        json: values.json,
        parallel,
        confirm: values.yes ? undefined : () => askYesNo("Apply these changes?"),
        skipPreview: values["skip-preview"],
        baseRef: values.base,
        verbose: values.verbose,
        ...(values.tag.length > 0 && {
          target: await tagTargets(stack, projectDir, values.tag, commandLine.config),
        }),
      };
      // A dry run changes nothing, the committed stack file included.
      if (name === "preview") {
        const code = await withCommandLineConfig(stack, commandLine, (configFile) =>
          act(stack, { ...flags, configFile }),
        );
        return code ?? 0;
      }
      await saveConfig(stack, commandLine);
      if (values["force-firmware"]) {
        // For this run only: a private copy of the stack config, the committed file unchanged.
        const force: CommandLineConfig = { config: { "shelly-fleet:forceFirmware": "true" }, secrets: {} };
        const code = await withCommandLineConfig(stack, force, (configFile) =>
          act(stack, { ...flags, configFile }),
        );
        return code ?? 0;
      }
      return (await act(stack, flags)) ?? 0;
    },
  };
}

export const engineCommands: Command[] = [
  engineCommand(
    "preview",
    "Show what `up` would change",
    "      --expect-no-changes   exit 7 if there is anything to change; exit 8 if nothing is,\n" +
      "                            but some devices could not be checked (unreachable)\n" +
      "      --json                print `pulumi preview --json`'s document instead of the text\n" +
      "  -b, --base REF            mark each field drift (the files equal REF's: the device changed)\n" +
      "                            or change (the files changed since REF), e.g. --base origin/main;\n" +
      "                            default: the merge base with the default branch, when in git\n",
    async (stack, { expectNoChanges, json, parallel, configFile, baseRef, verbose, target, policyPacks }) => {
      if (!json) {
        return previewWithFieldSummary(stack, {
          expectNoChanges,
          parallel,
          configFile,
          baseRef,
          verbose,
          target,
          policyPacks,
        });
      }
      // The document is printed even when the preview fails (drift under --expect-no-changes,
      // an engine error): its steps and diagnostics say why.
      const digest = new PreviewDigestBuilder();
      try {
        await stack.preview({
          expectNoChanges,
          parallel,
          configFile,
          target,
          policyPacks,
          onEvent: digest.onEvent,
        });
      } finally {
        const document = digest.digest();
        await readDevicesBeforeCreate(document, stack, configFile);
        print(`${JSON.stringify(document, null, 2)}\n`);
      }
      return undefined;
    },
  ),
  engineCommand(
    "up",
    "Show the changes, ask, then apply them",
    `  -y, --yes                 apply without asking (required when stdin or stdout is not a terminal)
      --skip-preview        with --yes: apply without the preview first (each device is read once,
                            not twice: scheduled runs, large fleets)
      --force-firmware      firmware updates run outside the site's maintenance windows too, for
                            this run only (the stack config shelly-fleet:forceFirmware is not
                            changed); the campaign's stop rule and pause still hold

As \`pulumi up\`: the preview first, with its field list; on a terminal, the question "Apply these
changes?" (default no); without a terminal and without --yes, one line and exit 2, nothing run.
Nothing to change: it says so and exits 0 without asking. The apply plans again from the devices
as they are then (it does not replay the preview's plan), so a device changed in between is
applied as its file says.

Every device that answers is applied; one that cannot be reached or fails is reported and
skipped (exit ${EXIT_DEVICES_NEED_ATTENTION}), and the next up picks it up.\n`,
    async (stack, { parallel, confirm, skipPreview, verbose, target, policyPacks, configFile }) =>
      skipPreview
        ? upWithSummary(stack, { parallel, verbose, target, policyPacks, configFile })
        : previewThenUp(stack, { parallel, verbose, target, policyPacks, configFile }, confirm),
  ),
  engineCommand(
    "refresh",
    "Read the live state into the stack's state",
    "",
    async (stack, { parallel, verbose }) => {
      await folded(verbose, (onOutput) => stack.refresh({ onOutput, parallel }));
      return undefined;
    },
  ),
  engineCommand(
    "destroy",
    "Remove the stack's resources from management",
    "",
    async (stack, { parallel, verbose }) => {
      await folded(verbose, (onOutput) => stack.destroy({ onOutput, parallel }));
      return undefined;
    },
  ),
];
