// The engine's progress folded to what a reader needs: changes, failures, the summary.
import { describe, expect, test } from "vitest";
import { foldEngineOutput } from "../../cli/engine-output";

// From `shelly-fleet preview` on the demo site (8 devices, one drifted).
const PREVIEW = `Previewing update (demo):

@ previewing update....
 ~  pulumi:pulumi:Stack shelly-fleet-demo refreshing 
 ~  pulumi-nodejs:dynamic/shelly:Device office-plug refreshing 
 ~  pulumi-nodejs:dynamic/shelly:Device office-plug refresh 
 ~  pulumi-nodejs:dynamic/shelly:Device bedroom-mini refresh [diff: ~switch:0]
    pulumi:pulumi:Stack shelly-fleet-demo running 
@ previewing update.....
    pulumi-nodejs:dynamic/shelly:Device kitchen-dimmer  
 ~  pulumi-nodejs:dynamic/shelly:Device bedroom-mini update [diff: ~switch:0]
 +  pulumi-nodejs:dynamic/opnsense:DhcpReservation garage-dhcp create 
    pulumi:pulumi:Stack shelly-fleet-demo  
Outputs:
  ~ devices: {
        garage-light       : {
            model   : "SHSW-1"
        }
    }

Resources:
    ~ 1 to update
    8 unchanged

`;

const UP_FAILED = `Updating (lab):

 ~  pulumi-nodejs:dynamic/shelly:Device porch updating (0s) [diff: ~switch:0]
 ~  pulumi-nodejs:dynamic/shelly:Device porch **updating failed** [diff: ~switch:0]; error: porch: skipped
 +  pulumi-nodejs:dynamic/shelly:Device alpha created (1s)
    pulumi:pulumi:Stack shelly-fleet-lab running error: update failed
Diagnostics:
  pulumi-nodejs:dynamic/shelly:Device (porch):
    error: porch: skipped: no answer within 5000 ms

Resources:
    + 1 created
`;

function fold(text: string, verbose = false, chunk = 7): string {
  let out = "";
  const output = foldEngineOutput((t) => {
    out += t;
  }, verbose);
  // The engine's chunks do not end at line ends.
  for (let i = 0; i < text.length; i += chunk) output.write(text.slice(i, i + chunk));
  output.end();
  return out;
}

describe("folded engine output", () => {
  test("a preview keeps the changes and the summary, drops progress and the outputs", () => {
    expect(fold(PREVIEW)).toBe(`Previewing update (demo):

 ~  pulumi-nodejs:dynamic/shelly:Device bedroom-mini refresh [diff: ~switch:0]
 ~  pulumi-nodejs:dynamic/shelly:Device bedroom-mini update [diff: ~switch:0]
 +  pulumi-nodejs:dynamic/opnsense:DhcpReservation garage-dhcp create 
Resources:
    ~ 1 to update
    8 unchanged

`);
  });

  test("a failed up keeps the failure, the final states and the diagnostics", () => {
    const folded = fold(UP_FAILED);
    expect(folded).not.toContain("updating (0s)");
    expect(folded).toContain("porch **updating failed**");
    expect(folded).toContain("Device alpha created (1s)");
    expect(folded).toContain("running error: update failed");
    expect(folded).toContain(
      "Diagnostics:\n  pulumi-nodejs:dynamic/shelly:Device (porch):\n    error: porch: skipped",
    );
    expect(folded).toContain("Resources:\n    + 1 created\n");
  });

  test("outputs other than the devices map stay", () => {
    const text =
      'Outputs:\n  ~ devices: {\n        porch: {\n            model: "SNSW-001P16EU"\n        }\n    }\n' +
      '    opnsenseBackups: [\n        [0]: ".pulumi-state/opnsense-backups/config-1.xml"\n    ]\n\nResources:\n    7 unchanged\n';
    expect(fold(text)).toBe(
      'Outputs:\n    opnsenseBackups: [\n        [0]: ".pulumi-state/opnsense-backups/config-1.xml"\n    ]\n\nResources:\n    7 unchanged\n',
    );
  });

  test("--verbose shows every line as the engine wrote it", () => {
    expect(fold(PREVIEW, true)).toBe(PREVIEW);
  });
});
