// The provisioner agent's HTTP API, shared by the agent and the main side (README, "Provisioning: the agent").
import type { ProvisionJob, ProvisionOutcome, StepName } from "../job";

/** queued → running → succeeded | failed. A task interrupted by a restart fails: it never runs twice. */
export type TaskState = "queued" | "running" | "succeeded" | "failed";

export interface TaskRecord {
  id: string;
  interface: string;
  device: string;
  state: TaskState;
  /** The step running now, or the last one reached. */
  step?: StepName;
  submittedAt: string;
  startedAt?: string;
  finishedAt?: string;
  outcome?: ProvisionOutcome;
  error?: string;
}

/** A task as stored: the job (with its secrets) only until the task ends. */
export interface StoredTask extends TaskRecord {
  job?: ProvisionJob;
}

export interface AgentRecord {
  name: string;
  url: string;
  interfaces: string[];
  /** "direct" or "nmcli": how the agent joins access points. */
  link: string;
  version: string;
  lastContact: string;
  /** The last heartbeat is younger than the expiry. */
  alive: boolean;
}

/**
 * One line of the agent's audit log: who asked for what, on which device, when, and how it ended.
 * Never a secret: no job, no token, no password; errors are the state machine's own messages.
 */
export interface AuditEntry {
  time: string;
  /** The agent that writes the entry. */
  agent: string;
  event:
    | "task.submitted"
    | "task.resubmitted"
    | "task.started"
    | "task.succeeded"
    | "task.failed"
    | "task.interrupted"
    | "agent.registered"
    | "agent.refused"
    | "agent.forgotten"
    | "request.refused";
  /** The client's address and port, for requests. */
  from?: string;
  task?: string;
  device?: string;
  interface?: string;
  /** The registering agent's name and URL, for agent.* events. */
  name?: string;
  url?: string;
  /** HTTP status of a refused request, or the error of a failed task. */
  status?: number;
  error?: string;
}
