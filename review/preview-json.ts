// `pulumi preview --json`'s document, built from Automation API engine events: the Automation API
// cannot pass `--json`, so `shelly-fleet preview --json` assembles the same shape
// (pkg/display/json.go: steps, diagnostics, changeSummary) from what `onEvent` reports.
import type { EngineEvent, StepEventMetadata, StepEventStateMetadata } from "@pulumi/pulumi/automation";

export const SECRET_TEXT = "[secret]";
/** The engine's marker for a secret value: `{ <this key>: "1b47061264138c4ac30d75fd1eb44270", ... }`. */
const SECRET_SIGNATURE_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIGNATURE = "1b47061264138c4ac30d75fd1eb44270";

export interface PreviewStepState {
  urn: string;
  type: string;
  id?: string;
  custom?: boolean;
  parent?: string;
  provider?: string;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
}

export interface PreviewStep {
  op: string;
  urn: string;
  provider?: string;
  oldState?: PreviewStepState;
  newState?: PreviewStepState;
  diffReasons?: string[];
  replaceReasons?: string[];
  detailedDiff: Record<string, { kind: string; inputDiff: boolean }> | null;
  /**
   * shelly-fleet's own: for a device to create (adopt and configure), what it has now, read
   * before the plan is shown (inputs shaped as the engine's), or why it could not be read.
   */
  liveBeforeCreate?: { inputs: Record<string, unknown> } | { unreadable: string };
}

export interface PreviewDiagnostic {
  urn?: string;
  message: string;
  severity: string;
}

export interface PreviewDigest {
  config?: Record<string, string>;
  steps: PreviewStep[];
  diagnostics: PreviewDiagnostic[];
  /** Nanoseconds, as Go's time.Duration in the CLI's document. */
  duration?: number;
  changeSummary: Record<string, number>;
  maybeCorrupt?: boolean;
}

/**
 * A secret value becomes "[secret]" and the serialized provider code (`__provider`) is dropped,
 * at any depth: neither belongs in a document meant for reviewers.
 */
export function sanitize(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sanitize);
  if (value === null || typeof value !== "object") return value;
  const record = value as Record<string, unknown>;
  if (record[SECRET_SIGNATURE_KEY] === SECRET_SIGNATURE) return SECRET_TEXT;
  return Object.fromEntries(
    Object.entries(record)
      .filter(([key]) => key !== "__provider")
      .map(([key, item]) => [key, sanitize(item)]),
  );
}

function stateOf(state: StepEventStateMetadata | undefined): PreviewStepState | undefined {
  if (state === undefined) return undefined;
  return {
    urn: state.urn,
    type: state.type,
    ...(state.id && { id: state.id }),
    ...(state.custom !== undefined && { custom: state.custom }),
    ...(state.parent && { parent: state.parent }),
    ...(state.provider && { provider: state.provider }),
    inputs: sanitize(state.inputs ?? {}) as Record<string, unknown>,
    outputs: sanitize(state.outputs ?? {}) as Record<string, unknown>,
  };
}

function stepOf(metadata: StepEventMetadata): PreviewStep {
  const detailed = metadata.detailedDiff;
  return {
    op: metadata.op,
    urn: metadata.urn,
    ...(metadata.provider && { provider: metadata.provider }),
    ...(metadata.old && { oldState: stateOf(metadata.old) }),
    ...(metadata.new && { newState: stateOf(metadata.new) }),
    ...(metadata.diffs && { diffReasons: metadata.diffs }),
    ...(metadata.keys && { replaceReasons: metadata.keys }),
    detailedDiff: detailed
      ? Object.fromEntries(
          Object.entries(detailed).map(([path, d]) => [path, { kind: d.diffKind, inputDiff: d.inputDiff }]),
        )
      : null,
  };
}

/** Feed it every engine event of one preview (`onEvent`), then take the document. */
export class PreviewDigestBuilder {
  private config: Record<string, string> | undefined;
  private readonly steps: PreviewStep[] = [];
  private readonly diagnostics: PreviewDiagnostic[] = [];
  private summary: { changeSummary: Record<string, number>; duration: number; maybeCorrupt: boolean } = {
    changeSummary: {},
    duration: 0,
    maybeCorrupt: false,
  };

  readonly onEvent = (event: EngineEvent): void => {
    if (event.preludeEvent) this.config = sanitize(event.preludeEvent.config) as Record<string, string>;
    const pre = event.resourcePreEvent?.metadata;
    // Like the CLI's document: no unchanged resources, and no refresh reads, whose findings
    // show up as the update that follows them.
    if (pre && pre.op !== "same" && pre.op !== "refresh") this.steps.push(stepOf(pre));
    const diagnostic = event.diagnosticEvent;
    // Debug lines (absent from the SDK typings) appear only under `--verbose` in the CLI's document.
    if (diagnostic && !diagnostic.ephemeral && (diagnostic.severity as string) !== "debug") {
      this.diagnostics.push({
        ...(diagnostic.urn && { urn: diagnostic.urn }),
        message: diagnostic.message,
        severity: diagnostic.severity,
      });
    }
    const summary = event.summaryEvent;
    if (summary) {
      this.summary = {
        changeSummary: { ...summary.resourceChanges } as Record<string, number>,
        duration: Math.round(summary.durationSeconds * 1e9),
        maybeCorrupt: summary.maybeCorrupt,
      };
    }
  };

  digest(): PreviewDigest {
    return {
      ...(this.config && { config: this.config }),
      steps: this.steps,
      diagnostics: this.diagnostics,
      duration: this.summary.duration,
      changeSummary: this.summary.changeSummary,
      maybeCorrupt: this.summary.maybeCorrupt,
    };
  }
}
