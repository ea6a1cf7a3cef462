import type { IncomingMessage } from 'node:http';
import { decodeQuery, splitTarget } from '../auth/tos-signature';
import { TosHeaders } from '../../provider/api/tos';
import { TosError } from './errors';

/**
 * Routing: which bucket and key a request addresses and which TOS operation it is. Path style
 * (`/{bucket}/{key}`, what the SDK uses for IP endpoints and `forcePathStyle`) and virtual-hosted style
 * (`Host: {bucket}.{endpoint}`, proxy mode and presigned URLs) both resolve to the same target.
 */
export interface TosTarget {
  bucket?: string;
  key?: string;
  /** Decoded query; `?uploads` and `?uploads=` are alike. */
  query: Map<string, string>;
  /** The raw `x-tos-copy-source` header: its presence makes a PUT a copy. */
  copySource?: string;
}

export type TosOperation =
  | 'ListBuckets'
  | 'CreateBucket'
  | 'HeadBucket'
  | 'DeleteBucket'
  | 'ListObjectsType2'
  | 'ListMultipartUploads'
  | 'DeleteMultiObjects'
  | 'PutObject'
  | 'HeadObject'
  | 'GetObject'
  | 'DeleteObject'
  | 'CreateMultipartUpload'
  | 'UploadPart'
  | 'CopyObject'
  | 'UploadPartCopy'
  | 'CompleteMultipartUpload'
  | 'AbortMultipartUpload'
  | 'ListParts';

/**
 * Sub-resources real TOS serves that ark-local does not; answering them as plain object or bucket calls would
 * silently do the wrong thing.
 */
const UNSUPPORTED_SUBRESOURCES = [
  'acl', 'tagging', 'cors', 'lifecycle', 'policy', 'versioning', 'versions', 'website', 'replication', 'mirror',
  'encryption', 'append', 'fetch', 'rename', 'restore', 'symlink', 'storageClass', 'customdomain', 'realtimeLog',
  'inventory', 'notification', 'location', 'modify',
];

/**
 * @param isBucket tells whether a name is an existing bucket; a host whose first label is one is taken as
 *                 virtual-hosted even when its remainder is not a recognisable TOS endpoint.
 */
export async function resolveTarget(req: IncomingMessage, isBucket: (name: string) => Promise<boolean>): Promise<TosTarget> {
  const { rawPath, rawQuery } = splitTarget(req.url ?? '/');
  let query: Map<string, string>;
  let path: string;
  try {
    query = new Map(decodeQuery(rawQuery));
    path = rawPath;
  } catch {
    throw new TosError('InvalidArgument', `The query string ${JSON.stringify(rawQuery)} is not valid percent-encoding.`);
  }
  const hostBucket = await virtualHostBucket(req.headers.host ?? '', isBucket);
  const copyHeader = req.headers[TosHeaders.copySource];
  const copySource = typeof copyHeader === 'string' ? { copySource: copyHeader } : {};
  const decode = (s: string): string => {
    try {
      return decodeURIComponent(s);
    } catch {
      throw new TosError('InvalidKey', `The path ${JSON.stringify(rawPath)} is not valid percent-encoding.`);
    }
  };
  if (hostBucket !== undefined) {
    const key = path.slice(1);
    return { bucket: hostBucket, key: key === '' ? undefined : decode(key), query, ...copySource };
  }
  const slash = path.indexOf('/', 1);
  const bucket = decode(slash < 0 ? path.slice(1) : path.slice(1, slash));
  const key = slash < 0 ? '' : path.slice(slash + 1);
  return { bucket: bucket === '' ? undefined : bucket, key: key === '' ? undefined : decode(key), query, ...copySource };
}

/** The bucket named by a virtual-hosted `Host`, or undefined for a path-style request. */
async function virtualHostBucket(hostHeader: string, isBucket: (name: string) => Promise<boolean>): Promise<string | undefined> {
  const host = hostHeader.replace(/:\d+$/, '').toLowerCase();
  if (isPathStyleHost(host)) return undefined;
  const dot = host.indexOf('.');
  if (dot <= 0) return undefined;
  const label = host.slice(0, dot);
  const rest = host.slice(dot + 1);
  // `bucket.127.0.0.1` (presigned URLs against an IP endpoint), `bucket.localhost`, `bucket.tos-cn-beijing.volces.com`.
  if (isPathStyleHost(rest) || rest.startsWith('tos-')) return label;
  return (await isBucket(label)) ? label : undefined;
}

function isPathStyleHost(host: string): boolean {
  return host === '' || host === 'localhost' || /^\d{1,3}(\.\d{1,3}){3}$/.test(host) || host.startsWith('[');
}

export function operationOf(method: string, target: TosTarget): TosOperation {
  const q = target.query;
  const unsupported = UNSUPPORTED_SUBRESOURCES.find((name) => q.has(name));
  const where = target.key !== undefined ? `/${target.bucket}/${target.key}` : target.bucket !== undefined ? `/${target.bucket}/` : '/';
  if (unsupported) throw new TosError('UnImplemented', `The "${unsupported}" sub-resource (${method} ${where}?${unsupported}) is not emulated.`);

  const op = ((): TosOperation | undefined => {
    if (target.bucket === undefined) return method === 'GET' ? 'ListBuckets' : undefined;
    if (target.key === undefined) {
      switch (method) {
        case 'PUT': return 'CreateBucket';
        case 'HEAD': return 'HeadBucket';
        case 'DELETE': return 'DeleteBucket';
        case 'POST': return q.has('delete') ? 'DeleteMultiObjects' : undefined;
        case 'GET':
          if (q.has('uploads')) return 'ListMultipartUploads';
          return q.get('list-type') === '2' ? 'ListObjectsType2' : undefined;
      }
      return undefined;
    }
    switch (method) {
      case 'PUT':
        if (q.has('uploadId') || q.has('partNumber')) return target.copySource !== undefined ? 'UploadPartCopy' : 'UploadPart';
        return target.copySource !== undefined ? 'CopyObject' : 'PutObject';
      case 'HEAD': return 'HeadObject';
      case 'GET': return q.has('uploadId') ? 'ListParts' : 'GetObject';
      case 'DELETE': return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject';
      case 'POST':
        if (q.has('uploads')) return 'CreateMultipartUpload';
        return q.has('uploadId') ? 'CompleteMultipartUpload' : undefined;
    }
    return undefined;
  })();
  if (op) return op;
  if (target.key === undefined && target.bucket !== undefined && method === 'GET') {
    throw new TosError('UnImplemented', `GET ${where} without list-type=2 is ListObjects (v1), which is not emulated; use listObjectsType2.`);
  }
  throw new TosError('MethodNotAllowed', `${method} ${where} with query [${[...q.keys()].join(', ')}] is not a TOS operation.`);
}
