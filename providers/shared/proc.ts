// One process's state and parent from /proc/<pid>/stat (Linux): the run guard, recover and the
// kill tests each need one of them.
import * as fs from "node:fs";

export interface ProcStat {
  /** `R`, `S`, …; `Z` for a zombie waiting to be reaped, `X` for a dead one. */
  state: string;
  ppid: number;
}

/** undefined when the process is gone or there is no /proc (not Linux). */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const text = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    // `pid (comm) state ppid …`: comm may hold spaces and parentheses, so split after the last ')'.
    const fields = text.slice(text.lastIndexOf(")") + 2).split(" ");
    return { state: fields[0] ?? "", ppid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}
