import type { PlanTotals, SyncPlan } from './plan';

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = Math.max(0, bytes);
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.round(ms / 1000));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m${String(s).padStart(2, '0')}s`;
  return `${s}s`;
}

export interface ProgressSnapshot {
  doneFiles: number;
  totalFiles: number;
  doneBytes: number;
  totalBytes: number;
  elapsedMs: number;
}

/** `3/10 files, 1.2 GiB/16.0 GiB (7%), 210.0 MiB/s, ETA 1m12s` */
export function formatProgress(s: ProgressSnapshot): string {
  const pct = s.totalBytes > 0 ? Math.floor((100 * s.doneBytes) / s.totalBytes) : 100;
  const rate = s.elapsedMs > 0 ? (s.doneBytes * 1000) / s.elapsedMs : 0;
  const eta = rate > 0 ? formatDuration(((s.totalBytes - s.doneBytes) / rate) * 1000) : 'unknown';
  return `${s.doneFiles}/${s.totalFiles} files, ${formatBytes(s.doneBytes)}/${formatBytes(s.totalBytes)} (${pct}%), ${formatBytes(rate)}/s, ETA ${eta}`;
}

/** One-line plan summary for diff/preview and the start of a sync. */
export function formatPlan(location: string, plan: SyncPlan, totals: PlanTotals): string {
  const parts = [
    `${plan.upload.length} to upload`,
    `${plan.replace.length} to replace`,
    `${totals.uploadBytes > 0 ? formatBytes(totals.uploadBytes) + ' to send, ' : ''}${plan.deleteRemote.length} to delete`,
    `${plan.unchanged.length} unchanged`,
  ];
  if (plan.kept.length > 0) parts.push(`${plan.kept.length} extra remote kept (deleteRemoved is false)`);
  return `${location}: ${parts.join(', ')}`;
}

/**
 * Emits upload progress at a bounded cadence: at most every `intervalMs` while bytes flow, plus one line per
 * finished file that is large enough to matter (small files would flood the log), and a final line.
 */
export class ProgressReporter {
  private doneFiles = 0;
  private doneBytes = 0;
  private lastEmit: number;
  private readonly started: number;

  constructor(
    private readonly label: string,
    private readonly totalFiles: number,
    private readonly totalBytes: number,
    private readonly emit: (line: string) => void,
    private readonly intervalMs = 3000,
    private readonly now: () => number = Date.now,
  ) {
    this.started = now();
    this.lastEmit = this.started;
  }

  addBytes(n: number): void {
    this.doneBytes += n;
    if (this.now() - this.lastEmit >= this.intervalMs) this.flush();
  }

  fileDone(path: string, size: number): void {
    this.doneFiles += 1;
    if (size >= this.totalBytes / 20 || this.now() - this.lastEmit >= this.intervalMs) this.flush(`${path} done`);
  }

  snapshot(): ProgressSnapshot {
    return { doneFiles: this.doneFiles, totalFiles: this.totalFiles, doneBytes: this.doneBytes, totalBytes: this.totalBytes, elapsedMs: this.now() - this.started };
  }

  flush(note?: string): void {
    this.lastEmit = this.now();
    this.emit(`${this.label}: ${formatProgress(this.snapshot())}${note ? ` (${note})` : ''}`);
  }
}
