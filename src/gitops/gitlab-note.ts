// Posts (or updates) one merge-request comment through the GitLab API: the config diff of a merge
// request. A hidden marker finds the comment an earlier pipeline left, so each push edits it instead
// of adding another. Authenticates with a project or personal access token (api scope), or the job
// token, which many GitLab versions do not let write notes (the error then says so).

export interface NoteTarget {
  /** CI_API_V4_URL, e.g. https://gitlab.example.com/api/v4 */
  api: string;
  /** CI_PROJECT_ID */
  project: string;
  /** CI_MERGE_REQUEST_IID */
  mergeRequest: string;
  /** A project access token (PRIVATE-TOKEN), or the CI job token (JOB-TOKEN). */
  auth: { privateToken: string } | { jobToken: string };
  /** Identifies this comment among the merge request's notes. */
  marker: string;
}

export interface NoteOutcome {
  action: 'created' | 'updated';
  id: number;
}

export async function upsertNote(target: NoteTarget, body: string): Promise<NoteOutcome> {
  const base = `${target.api.replace(/\/+$/, '')}/projects/${encodeURIComponent(target.project)}/merge_requests/${encodeURIComponent(target.mergeRequest)}/notes`;
  const headers = { 'content-type': 'application/json', ...('privateToken' in target.auth ? { 'PRIVATE-TOKEN': target.auth.privateToken } : { 'JOB-TOKEN': target.auth.jobToken }) };
  const text = `${target.marker}\n${body}`;
  const existing = await findNote(base, headers, target.marker);
  const res = await fetch(existing === undefined ? base : `${base}/${existing}`, { method: existing === undefined ? 'POST' : 'PUT', headers, body: JSON.stringify({ body: text }) });
  if (!res.ok) throw new Error(describeFailure(res.status, await res.text(), target));
  const note = (await res.json()) as { id: number };
  return { action: existing === undefined ? 'created' : 'updated', id: note.id };
}

async function findNote(base: string, headers: Record<string, string>, marker: string): Promise<number | undefined> {
  const res = await fetch(`${base}?per_page=100&sort=desc&order_by=updated_at`, { headers });
  // Listing may be refused where posting is allowed: then a new note is posted.
  if (!res.ok) return undefined;
  const notes = (await res.json()) as { id: number; body?: string }[];
  return notes.find((n) => typeof n.body === 'string' && n.body.startsWith(marker))?.id;
}

function describeFailure(status: number, body: string, target: NoteTarget): string {
  const detail = body.slice(0, 200);
  if ((status === 401 || status === 403) && 'jobToken' in target.auth) {
    return `GitLab refused the job token (${status}): most GitLab versions do not let CI_JOB_TOKEN write merge-request notes; set GATEHOUSE_GITLAB_TOKEN to a project access token with the api scope`;
  }
  return `GitLab answered ${status}: ${detail}`;
}
