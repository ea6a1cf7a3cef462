import type { ModelReport } from '../model/report';

// Human-readable rendering of a validation report for the terminal.

export function formatReport(dir: string, report: ModelReport): string {
  const d = report.detected;
  const lines: string[] = [];
  const counts = `${report.errors.length} error${report.errors.length === 1 ? '' : 's'}, ${report.warnings.length} warning${report.warnings.length === 1 ? '' : 's'}`;
  lines.push(report.ok ? `OK ${dir}: valid for Ark (${counts})` : `INVALID ${dir}: not importable by Ark (${counts})`);
  const facts = [
    `base ${d.baseModel ?? 'unknown'}`,
    `quantization ${d.quantization ?? 'none'}`,
    ...(d.torchDtype ? [`dtype ${d.torchDtype}`] : []),
    ...(d.parameterCount !== undefined ? [`${d.parameterCount.toLocaleString('en-US')} parameters`] : []),
  ];
  lines.push(`  ${facts.join(', ')}`);
  for (const e of report.errors) lines.push(`  error   [${e.code}] ${e.message}`);
  for (const w of report.warnings) lines.push(`  warning [${w.code}] ${w.message}`);
  return `${lines.join('\n')}\n`;
}
