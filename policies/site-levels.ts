// A site's `[policy]` table checked: known rule ids, and a reason for every level lowered below
// the rule's own (mandatory → advisory → disabled). Pure; the fleet loader reports what it finds.
import { type EnforcementLevel, RULES } from "./rules";

const RANK: Record<EnforcementLevel, number> = { disabled: 0, advisory: 1, mandatory: 2 };

export interface PolicyProblem {
  /** Key path segments inside site.toml. */
  key: string[];
  message: string;
}

export function policyProblems(
  policy: { rules?: Record<string, { level: EnforcementLevel; reason?: string }> } | undefined,
): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const [id, override] of Object.entries(policy?.rules ?? {})) {
    const rule = RULES.find((r) => r.id === id);
    if (!rule) {
      problems.push({
        key: ["policy", "rules", id],
        message: `unknown policy rule "${id}" (known: ${RULES.map((r) => r.id).join(", ")})`,
      });
      continue;
    }
    if (RANK[override.level] < RANK[rule.level] && !override.reason?.trim()) {
      problems.push({
        key: ["policy", "rules", id, "level"],
        message: `lowering ${id} from ${rule.level} to ${override.level} needs a reason: add reason = "…" beside it`,
      });
    }
  }
  return problems;
}
