import type { CommitRecord, RepoRecord } from './store';

/** What the admin routes answer about a hub repo (tokens are never echoed: only how many may read it). */
export interface HubRepoView {
  Repo: string;
  Private: boolean;
  /** How many tokens may read it when private; absent: every hub token ark-local accepts. */
  Readers?: number;
  Branches: Record<string, string>;
  Commits: string[];
}

export interface HubCommitView {
  Repo: string;
  Branch: string;
  Commit: string;
  Files: { Path: string; Size: number; Oid: string; Lfs?: { Oid: string; PointerSize: number } }[];
}

export function repoView(repo: RepoRecord): HubRepoView {
  return {
    Repo: repo.id,
    Private: repo.private,
    ...(repo.readers ? { Readers: repo.readers.length } : {}),
    Branches: Object.fromEntries(repo.branches),
    Commits: [...repo.commits.keys()],
  };
}

export function commitView(repo: RepoRecord, branch: string, commit: CommitRecord): HubCommitView {
  return {
    Repo: repo.id,
    Branch: branch,
    Commit: commit.id,
    Files: commit.files.map((f) => ({
      Path: f.path,
      Size: f.blob.size,
      Oid: f.blob.gitOid,
      ...(f.blob.lfs ? { Lfs: { Oid: f.blob.lfs.sha256, PointerSize: f.blob.lfs.pointerSize } } : {}),
    })),
  };
}
