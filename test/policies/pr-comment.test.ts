// The pull-request comment lists the policy violations first, per device, with rule id and fix.
import { expect, test } from "vitest";
import { loadFleet } from "../../fleet";
import { checkFleetPolicies } from "../../policies/fleet";
import { PREVIEW_COMMENT_MARKER, renderPreviewComment } from "../../review/render";
import { writeFleet } from "../fleet/support";

test("violations come right after the title, grouped per device", () => {
  const root = writeFleet({
    "devices/home/lamp.toml":
      'mac = "AABBCCDDEE01"\naddress = "10.0.20.11"\n\n[auth]\nenabled = false\n\n[cloud]\nenabled = true\n',
  });
  const violations = checkFleetPolicies(loadFleet({ root, site: "home" }));
  const comment = renderPreviewComment([], undefined, undefined, violations);
  expect(comment.split("\n").slice(0, 7)).toEqual([
    PREVIEW_COMMENT_MARKER,
    "### shelly-fleet preview",
    "",
    "#### Policy violations: 2 mandatory (`up` refuses to run), 0 advisory",
    "",
    "- **lamp**",
    '  - `device-auth` (mandatory) `devices/home/lamp.toml:5` `auth.enabled`: auth is turned off. Fix: set [auth] enabled = true and password = { secret = "…" } (profiles/base.toml does)',
  ]);
  expect(comment).toContain("  - `cloud-off` (mandatory) `devices/home/lamp.toml:8` `cloud.enabled`");
  expect(renderPreviewComment([], undefined, undefined, [])).not.toContain("Policy violations");
});
