// A fake GitLab REST API (v4) for alert issues, written from GitLab's Issues and Notes API docs:
// POST /api/v4/projects/:id/issues {title, description, labels} → 201 {id, iid, state: "opened", …},
// POST /api/v4/projects/:id/issues/:iid/notes {body} → 201 {id, body},
// PUT /api/v4/projects/:id/issues/:iid {state_event: "close"} → 200 {iid, state: "closed"}.
// :id is the numeric id or the URL-encoded path. Requests without the right PRIVATE-TOKEN get 401.
import { startRecordingServer, type RecordingServer } from './recording-server.js';

export interface FakeIssue {
  project: string;
  iid: number;
  title: string;
  description: string;
  labels: string;
  state: 'opened' | 'closed';
  notes: string[];
}

export interface FakeGitlab {
  url: string;
  server: RecordingServer<{ status?: number }>;
  issues: FakeIssue[];
  close(): Promise<void>;
}

export async function startFakeGitlab(token: string): Promise<FakeGitlab> {
  const issues: FakeIssue[] = [];
  const server = await startRecordingServer<{ status?: number }>((req, behaviour) => {
    if (behaviour.status) return { status: behaviour.status, json: { message: 'fake failure' } };
    if (req.headers['private-token'] !== token) return { status: 401, json: { message: '401 Unauthorized' } };
    const match = /^\/api\/v4\/projects\/([^/]+)\/issues(?:\/(\d+)(\/notes)?)?$/.exec(req.path);
    if (!match) return { status: 404, json: { message: '404 Not Found' } };
    const project = decodeURIComponent(match[1]);
    const iid = match[2] === undefined ? undefined : Number(match[2]);
    if (iid === undefined && req.method === 'POST') {
      const issue: FakeIssue = { project, iid: issues.length + 1, title: req.body.title, description: req.body.description, labels: req.body.labels, state: 'opened', notes: [] };
      issues.push(issue);
      return { status: 201, json: { id: 1000 + issue.iid, iid: issue.iid, project_id: 7, title: issue.title, state: issue.state } };
    }
    const issue = issues.find((i) => i.project === project && i.iid === iid);
    if (!issue) return { status: 404, json: { message: '404 Issue Not Found' } };
    if (match[3] && req.method === 'POST') {
      issue.notes.push(req.body.body);
      return { status: 201, json: { id: 5000 + issue.notes.length, body: req.body.body } };
    }
    if (req.method === 'PUT') {
      if (req.body.state_event === 'close') issue.state = 'closed';
      return { status: 200, json: { iid: issue.iid, state: issue.state } };
    }
    return { status: 405, json: { message: '405 Method Not Allowed' } };
  });
  return { url: server.url, server, issues, close: () => server.close() };
}
