import { readdirSync, readFileSync } from "node:fs";
import os from "node:os";

/**
 * User + system CPU seconds a process has used so far (all its threads), or with `mainThread`
 * only its JavaScript thread (the rest is mostly the garbage collector's helpers), from /proc
 * (Linux). NaN when the process is gone or /proc is not there.
 */
export function cpuSecondsOf(pid: number | undefined, mainThread = false): number {
  if (pid === undefined) return Number.NaN;
  try {
    // utime and stime are the 12th and 13th fields after the command name (clock ticks).
    return cpuOfFields(statFields(mainThread ? `/proc/${pid}/task/${pid}/stat` : `/proc/${pid}/stat`));
  } catch {
    return Number.NaN;
  }
}

/**
 * The most memory a process has had resident since it started, in MB: the kernel's own
 * high-water mark (VmHWM in /proc), so no peak between two samples is missed. NaN when the
 * process is gone or /proc is not there.
 */
export function peakRssMbOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) / 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * CPU seconds this machine's processors have been busy so far, all processes and the kernel
 * together (user, nice, system, irq and softirq in /proc/stat; not idle, I/O wait or time
 * stolen by the host). On a machine running nothing but a bench, the busy time per request is
 * what the server, PostgreSQL and the load generator spent on it, which the host's neighbours
 * move much less than they move the rate. NaN when /proc is not there.
 */
export function machineBusySeconds(): number {
  try {
    // The first line: cpu user nice system idle iowait irq softirq steal guest guest_nice.
    const ticks = readFileSync("/proc/stat", "utf8").split("\n", 1)[0]!.split(/\s+/).slice(1).map(Number);
    const busy = [0, 1, 2, 5, 6].reduce((sum, field) => sum + ticks[field]!, 0);
    return busy / 100;
  } catch {
    return Number.NaN;
  }
}

/** CPU seconds of this process's children that have exited and been waited for (/proc). */
export function childrenCpuSeconds(): number {
  // cutime and cstime are the 14th and 15th fields after the command name.
  const fields = statFields("/proc/self/stat");
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

/** utime + stime (the 12th and 13th fields after the command name, clock ticks) in seconds. */
function cpuOfFields(fields: string[]): number {
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

/** The fields of a /proc stat file after the command name (which may hold spaces). */
function statFields(file: string): string[] {
  const stat = readFileSync(file, "utf8");
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
}

/**
 * CPU seconds used so far by a process and each of its children, by pid: PostgreSQL's
 * postmaster with its backends, walwriter, checkpointer and autovacuum workers. Empty when
 * /proc is not there.
 */
function treeCpuByPid(rootPid: number): Map<number, number> {
  const cpu = new Map<number, number>();
  let pids: string[];
  try {
    pids = readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return cpu;
  }
  for (const name of pids) {
    const pid = Number(name);
    try {
      const fields = statFields(`/proc/${pid}/stat`);
      // ppid is the 2nd field after the command name.
      if (pid === rootPid || Number(fields[1]) === rootPid) cpu.set(pid, cpuOfFields(fields));
    } catch {
      // the process exited while the folder was read
    }
  }
  return cpu;
}

/**
 * From now on, the CPU seconds the whole machine has been busy (`machineBusySeconds`) and
 * those of the process tree under `rootPid` (PostgreSQL's postmaster): read them with the
 * function returned. A process of the tree started meanwhile counts whole; one that exited
 * meanwhile (an autovacuum worker done) is missed, so the tree's figure errs low.
 */
export function startCpuMeter(rootPid: number): () => { machine: number; tree: number } {
  const machineBefore = machineBusySeconds();
  const treeBefore = treeCpuByPid(rootPid);
  return () => {
    const machine = machineBusySeconds() - machineBefore;
    let tree = 0;
    for (const [pid, cpu] of treeCpuByPid(rootPid)) tree += Math.max(0, cpu - (treeBefore.get(pid) ?? 0));
    return { machine, tree };
  };
}

/** What the machine spent per operation (µs) and its parts; the rest is what none accounts for. */
export interface CpuPerOperation {
  machine: number;
  postgres: number;
  api: number;
  loadGenerator: number;
}

/** The most operations per second the machine's cores allow at that CPU per operation. */
export function cpuCeilingPerSecond(cost: CpuPerOperation): number {
  return (os.cpus().length * 1e6) / cost.machine;
}

/**
 * `machine CPU … µs per <unit> (PostgreSQL …, API …, load generator …, the rest …): N cores
 * allow at most <ceiling>`: whatever overlaps, a design that only removes waiting cannot pass it.
 */
export function describeCpu(cost: CpuPerOperation, unit: string): string {
  const us = (n: number) => (Number.isNaN(n) ? "-" : n.toFixed(0));
  const rest = cost.machine - cost.postgres - cost.api - cost.loadGenerator;
  return `machine CPU ${us(cost.machine)} µs per ${unit} (PostgreSQL ${us(cost.postgres)}, API ${us(cost.api)}, load generator ${us(cost.loadGenerator)}, the rest ${us(rest)}): ${os.cpus().length} cores allow at most ${us(cpuCeilingPerSecond(cost))}`;
}
