// What the FirewallAlias resource does at each step of its Pulumi lifecycle, as plain functions
// over plain objects: no Pulumi import here (provider.ts beside it is the adapter). check and diff
// are pure; read returns the live values so refresh shows drift field by field; create adopts an
// existing alias of the same name; every write goes through the ApplyCoordinator.
import { isKnown } from "../../shared/unknown";
import type { Decision } from "../apply";
import { applyCoordinator, failWith, opnsense } from "../connection";
import { describeFailures, type Failure } from "../model";
import { type AliasSpec, aliasFailures, sortContent } from "./model";

export { configure } from "../connection";

export interface FirewallAliasInputs extends AliasSpec {
  providerVersion: number;
}

export interface FirewallAliasOutputs extends FirewallAliasInputs {
  uuid: string;
  backup?: string;
}

export function check(news: FirewallAliasInputs): Failure[] {
  if (!isKnown(news.content) || (news.content ?? []).some((ip) => !isKnown(ip))) {
    return aliasFailures({ name: news.name });
  }
  return aliasFailures(news);
}

export function diff(olds: FirewallAliasOutputs, news: FirewallAliasInputs) {
  const replaces = olds.name !== news.name ? ["name"] : [];
  const changes =
    replaces.length > 0 ||
    olds.description !== news.description ||
    olds.providerVersion !== news.providerVersion ||
    JSON.stringify(olds.content) !== JSON.stringify(news.content) ||
    JSON.stringify(olds.members) !== JSON.stringify(news.members);
  return { changes, replaces, deleteBeforeReplace: false };
}

// ---------------------------------------------------------------------------------------------
// `host` aliases holding the member devices' IPs.

const aliasLabel = (name: string) => `firewall alias ${name}`;

async function liveAlias(name: string) {
  const api = opnsense();
  const uuid = await api.aliasUuid(name);
  return uuid === undefined ? undefined : api.alias(uuid);
}

/** The alias as OPNsense has it now; undefined when it is gone. Network errors throw. */
export async function read(
  _id: string,
  props: FirewallAliasOutputs,
): Promise<FirewallAliasOutputs | undefined> {
  try {
    const live = await liveAlias(props.name);
    if (!live) return undefined;
    return { ...props, uuid: live.uuid, content: sortContent(live.content), description: live.description };
  } catch (error) {
    failWith(aliasLabel(props.name), error);
  }
}

/** Adopts the alias with this name (rewriting what differs) or adds one: create and update. */
async function applyAlias(inputs: FirewallAliasInputs): Promise<FirewallAliasOutputs> {
  const failures = aliasFailures(inputs);
  if (failures.length > 0) throw new Error(`${aliasLabel(inputs.name)}: ${describeFailures(failures)}`);
  const api = opnsense();
  const wanted = {
    name: inputs.name,
    type: "host",
    enabled: true,
    content: inputs.content,
    description: inputs.description,
  };
  try {
    const { value: uuid, backup } = await applyCoordinator().change(
      "alias",
      async (): Promise<Decision<string>> => {
        const live = await liveAlias(inputs.name);
        if (
          live &&
          live.type === "host" &&
          live.enabled &&
          live.description === inputs.description &&
          JSON.stringify(sortContent(live.content)) === JSON.stringify(inputs.content)
        ) {
          return { value: live.uuid };
        }
        return {
          write: async () => {
            if (live) {
              await api.putAlias(wanted, live.uuid);
              const undo = async () => {
                await api.putAlias(live, live.uuid);
              };
              return {
                value: live.uuid,
                change: { description: `restored the ${aliasLabel(inputs.name)}`, undo },
              };
            }
            const created = await api.putAlias(wanted);
            const undo = () => api.deleteAlias(created);
            return {
              value: created,
              change: { description: `deleted the ${aliasLabel(inputs.name)} it had added`, undo },
            };
          },
        };
      },
    );
    return { ...inputs, uuid, ...(backup !== undefined && { backup }) };
  } catch (error) {
    failWith(aliasLabel(inputs.name), error);
  }
}

export function create(inputs: FirewallAliasInputs): Promise<FirewallAliasOutputs> {
  return applyAlias(inputs);
}

export function update(
  _olds: FirewallAliasOutputs,
  news: FirewallAliasInputs,
): Promise<FirewallAliasOutputs> {
  return applyAlias(news);
}

async function remove(_id: string, props: FirewallAliasOutputs): Promise<void> {
  const api = opnsense();
  try {
    await applyCoordinator().change("alias", async (): Promise<Decision<void>> => {
      const live = await liveAlias(props.name);
      if (!live) return { value: undefined };
      return {
        write: async () => {
          await api.deleteAlias(live.uuid);
          const undo = async () => {
            await api.putAlias(live, live.uuid);
          };
          return {
            value: undefined,
            change: { description: `recreated the ${aliasLabel(props.name)}`, undo },
          };
        },
      };
    });
  } catch (error) {
    failWith(aliasLabel(props.name), error);
  }
}

export { remove as delete };
