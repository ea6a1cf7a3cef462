/**
 * The machine's process table, from /proc (Linux; the CI runs there): for tests that find the CLI's plugins,
 * kill a run the way a crash would, or check that nothing of a run is left.
 */
import * as fs from 'node:fs';

export interface ProcessRow {
  pid: number;
  ppid: number;
  /** Process group: the CLI leads its own; the engine starts each plugin in a group of its own. */
  pgid: number;
  /** Arguments joined by spaces. */
  cmdline: string;
}

export function processTable(): ProcessRow[] {
  const rows: ProcessRow[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      // Fields after the command name, which is in parentheses and may itself hold spaces: state ppid pgrp ...
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cmdline = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replace(/\0/g, ' ');
      rows.push({ pid: Number(entry), ppid: Number(fields[1]), pgid: Number(fields[2]), cmdline });
    } catch {
      // the process ended while we looked
    }
  }
  return rows;
}

/** Every process below `root` (children, their children...), whatever process group they are in. */
export function descendants(root: number, table = processTable()): ProcessRow[] {
  return table.filter((p) => p.ppid === root).flatMap((child) => [child, ...descendants(child.pid, table)]);
}

/** Processes whose environment carries this PULUMI_HOME: a CLI run and every plugin it started, even orphaned. */
export function processesOfRun(home: string): number[] {
  const marker = `PULUMI_HOME=${home}\0`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      if (`${fs.readFileSync(`/proc/${entry}/environ`, 'utf8')}\0`.includes(marker)) pids.push(Number(entry));
    } catch {
      // gone meanwhile, or not ours to read
    }
  }
  return pids;
}

export function killQuietly(pid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
  try {
    process.kill(pid, signal);
  } catch {
    // already gone
  }
}
