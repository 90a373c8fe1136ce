import { readFileSync } from "node:fs";

/**
 * User + system CPU seconds a process has used so far (all its threads), or with `mainThread`
 * only its JavaScript thread (the rest is mostly the garbage collector's helpers), from /proc
 * (Linux). NaN when the process is gone or /proc is not there.
 */
export function cpuSecondsOf(pid: number | undefined, mainThread = false): number {
  if (pid === undefined) return Number.NaN;
  try {
    const stat = readFileSync(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`, "utf8");
    // Fields after the command name: utime and stime are the 12th and 13th (clock ticks).
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return Number.NaN;
  }
}
