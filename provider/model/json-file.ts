import type { ModelFile, ModelFileSource } from './source';
import type { IssueLog } from './report';

/** Reads a small JSON object file; oversized or invalid files are reported, not thrown. */
export async function readJsonObject(source: ModelFileSource, file: ModelFile, maxBytes: number, log: IssueLog, code: string): Promise<Record<string, unknown> | undefined> {
  if (file.size > maxBytes) {
    log.error(code, file.path, `${file.path}: expected a JSON file of at most ${maxBytes} bytes, found ${file.size} bytes`);
    return undefined;
  }
  const buf = await source.read(file.path, 0, file.size);
  try {
    const value: unknown = JSON.parse(buf.toString('utf8'));
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    log.error(code, file.path, `${file.path}: expected a JSON object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
  } catch (e) {
    log.error(code, file.path, `${file.path}: expected valid JSON, found a parse error (${(e as Error).message})`);
  }
  return undefined;
}
