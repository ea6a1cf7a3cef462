import type { ModelLayout } from './files';
import { readJsonObject } from './json-file';
import type { IssueLog } from './report';
import type { SafetensorsHeader } from './safetensors';
import type { ModelFileSource } from './source';

// model.safetensors.index.json against the shard headers (hf-models.md 2.4): the weight_map and the union of
// shard headers must describe the same tensors, in the same files.

const MAX_INDEX_BYTES = 16 * 1024 * 1024;
const MAX_LISTED = 5;

export async function checkSafetensorsIndex(source: ModelFileSource, layout: ModelLayout, headers: readonly SafetensorsHeader[], log: IssueLog): Promise<void> {
  const indexFile = layout.safetensorsIndex;
  if (!indexFile) {
    if (layout.safetensors.length > 1) {
      log.error('MissingIndex', undefined, `model directory: expected model.safetensors.index.json next to the ${layout.safetensors.length} safetensors shards (loaders need it to find tensors), found none`);
    }
    return;
  }
  const index = await readJsonObject(source, indexFile, MAX_INDEX_BYTES, log, 'IndexFile');
  if (!index) return;
  const f = indexFile.path;
  const weightMap = index.weight_map;
  if (typeof weightMap !== 'object' || weightMap === null || Array.isArray(weightMap)) {
    log.error('IndexFile', f, `${f}: expected a "weight_map" object of tensor name -> shard file, found ${JSON.stringify(weightMap)}`);
    return;
  }
  const map = weightMap as Record<string, unknown>;
  const headerByFile = new Map(headers.map((h) => [h.file, h]));
  const listedShards = new Set(layout.safetensors.map((s) => s.path));

  let problems = 0;
  const report = (code: string, message: string) => {
    if (++problems <= MAX_LISTED) log.error(code, f, message);
  };
  for (const [tensor, shard] of Object.entries(map)) {
    if (typeof shard !== 'string' || !listedShards.has(shard)) {
      report('IndexShardMissing', `${f}: weight_map["${tensor}"]: expected a safetensors file in the directory, found ${JSON.stringify(shard)}, which does not exist`);
      continue;
    }
    const header = headerByFile.get(shard);
    if (header && !header.tensors.some((t) => t.name === tensor)) {
      report('IndexEntryMismatch', `${f}: weight_map["${tensor}"]: expected the tensor in ${shard}, found no such tensor in that file's header`);
    }
  }
  const referenced = new Set(Object.values(map).filter((v): v is string => typeof v === 'string'));
  for (const h of headers) {
    for (const t of h.tensors) {
      if (map[t.name] !== h.file) {
        report('IndexMissingTensor', `${f}: expected weight_map["${t.name}"] = "${h.file}" (the tensor is in that shard), found ${JSON.stringify(map[t.name] ?? null)}`);
      }
    }
  }
  for (const s of listedShards) {
    if (!referenced.has(s)) report('IndexUnreferencedShard', `${f}: expected every safetensors file to be referenced by weight_map, found ${s} unreferenced`);
  }
  if (problems > MAX_LISTED) log.error('IndexEntryMismatch', f, `${f}: ${problems - MAX_LISTED} more index mismatches like the ones above`);

  const metadata = index.metadata as { total_size?: unknown } | undefined;
  const dataBytes = headers.reduce((a, h) => a + h.tensors.reduce((b, t) => b + (t.end - t.begin), 0), 0);
  if (problems === 0 && metadata?.total_size !== undefined && metadata.total_size !== dataBytes) {
    // Some exporters write 0 or file sizes here; loaders ignore it, so it is only a warning.
    log.warn('IndexTotalSize', f, `${f}: expected metadata.total_size ${dataBytes} (the tensor bytes in the shards), found ${JSON.stringify(metadata.total_size)}`);
  }
}
