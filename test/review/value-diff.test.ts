// Lists and multi-line text in the reviewers' output: what was removed and added, not two whole values.
import { describe, expect, test } from "vitest";
import { showChange, showChangeCells } from "../../review/fields";
import type { StackPreview } from "../../review/preview-changes";
import { renderPreviewComment, renderPreviewFieldSummary } from "../../review/render";
import { diffValues, formatValueDiff } from "../../review/value-diff";

describe("diffValues", () => {
  test("a list: the items removed and added, and how many stayed", () => {
    expect(diffValues(["garage", "porch", "lights"], ["garage", "lights", "attic"])).toEqual({
      removed: ['"porch"'],
      added: ['"attic"'],
      unchanged: 2,
      unit: "item",
    });
  });

  test("list items that are objects compare by value", () => {
    const before = [
      { on: "0 0 7 * * *", enable: true },
      { on: "0 0 22 * * *", enable: true },
    ];
    const after = [
      { on: "0 0 7 * * *", enable: true },
      { on: "0 0 23 * * *", enable: true },
    ];
    expect(diffValues(before, after)).toEqual({
      removed: ['{"on":"0 0 22 * * *","enable":true}'],
      added: ['{"on":"0 0 23 * * *","enable":true}'],
      unchanged: 1,
      unit: "item",
    });
  });

  test("multi-line text: the lines removed and added", () => {
    const before = "let a = 1;\nlet b = 2;\nprint(a + b);\n";
    const after = "let a = 1;\nlet b = 3;\nprint(a + b);";
    expect(diffValues(before, after)).toEqual({
      removed: ['"let b = 2;"'],
      added: ['"let b = 3;"'],
      unchanged: 2,
      unit: "line",
    });
  });

  test("text that differs only in its final newline, single values and mixed types: none", () => {
    expect(diffValues("a\nb\n", "a\nb")).toBeUndefined();
    expect(diffValues("Bedroom", "Kitchen")).toBeUndefined();
    expect(diffValues(1, 2)).toBeUndefined();
    expect(diffValues(["a"], "a")).toBeUndefined();
    expect(diffValues(undefined, ["a"])).toBeUndefined();
  });

  test("formatted on one line, with the unchanged count", () => {
    expect(formatValueDiff({ removed: ['"a"'], added: ['"b"', '"c"'], unchanged: 1, unit: "item" })).toBe(
      "+b, +c, \u2212a (1 item unchanged)",
    );
    expect(formatValueDiff({ removed: [], added: ['"x"'], unchanged: 0, unit: "line" })).toBe('+"x"');
    // Only plain words lose their quotes; lines of text keep them.
    expect(formatValueDiff({ removed: ['"a b"'], added: ['"10.0.30.16"'], unchanged: 0, unit: "item" })).toBe(
      '+10.0.30.16, \u2212"a b"',
    );
  });
});

describe("showChange and showChangeCells", () => {
  test("a list with items in common shows only what changed", () => {
    const before = ["iot", "lights", "garage"];
    const after = ["iot", "lights", "garage", "porch"];
    expect(showChange("network.aliases", before, after)).toBe("+porch (3 items unchanged)");
    expect(showChangeCells("network.aliases", before, after)).toEqual(["", "+porch (3 items unchanged)"]);
  });

  test("a list with nothing in common is a set difference too; single values stay two values", () => {
    expect(showChange("profiles", ["a"], ["b"])).toBe("+b, \u2212a");
    expect(showChange("switch[0].name", "Old", "New")).toBe('"Old" → "New"');
    expect(showChangeCells("switch[0].name", undefined, "New")).toEqual(["(unset)", '"New"']);
  });

  test("secrets are never diffed", () => {
    expect(showChange("wifi.sta.pass", "[secret]", "[secret]")).toBe("[secret] → [secret]");
  });
});

describe("in the preview summary and the pull-request comment", () => {
  const preview: StackPreview = {
    stack: "lab",
    changes: [
      {
        kind: "device",
        op: "update",
        name: "porch",
        urn: "urn:pulumi:lab::shelly-fleet::pulumi-nodejs:dynamic/shelly:Device::porch",
        fields: [
          { key: "network.aliases", before: ["iot", "lights", "garage"], after: ["iot", "garage", "porch"] },
          { key: "switch[0].name", before: "Porch", after: "Porch light" },
        ],
        risks: [],
      },
    ],
    configChanges: [],
    diagnostics: [],
  };

  test("the text summary shows the list's change on one line", () => {
    expect(renderPreviewFieldSummary(preview)).toContain(
      '      network.aliases: +porch, \u2212lights (2 items unchanged)\n      switch[0].name: "Porch" → "Porch light"\n',
    );
  });

  test("the comment's table shows the removed items under Now and the added under After", () => {
    expect(renderPreviewComment([preview])).toContain(
      "| `network.aliases` | \u2212lights | +porch (2 items unchanged) |  |",
    );
  });
});
