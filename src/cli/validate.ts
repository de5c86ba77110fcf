// `gatehouse validate FILE...`: checks config files, reports every problem with file:line:column.
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import { loadConfigFile } from '../config/load.js';

export type ReportFormat = 'text' | 'json' | 'junit';

export interface FileReport {
  file: string;
  valid: boolean;
  issues: ConfigIssue[];
  endpoints: number;
  routes: number;
}

export function validateFiles(files: string[], env: NodeJS.ProcessEnv = process.env): FileReport[] {
  return files.map((file) => {
    const result = loadConfigFile(file, env);
    return {
      file,
      valid: result.config !== undefined,
      issues: result.issues,
      endpoints: result.config?.endpoints.length ?? 0,
      routes: result.config?.routes.length ?? 0,
    };
  });
}

export function renderReports(reports: FileReport[], format: ReportFormat): string {
  if (format === 'json') return JSON.stringify({ valid: reports.every((r) => r.valid), files: reports }, null, 2);
  if (format === 'junit') return renderJunit(reports);
  return reports
    .map((r) =>
      r.valid
        ? `${r.file}: valid (${r.endpoints} endpoint${r.endpoints === 1 ? '' : 's'}, ${r.routes} route${r.routes === 1 ? '' : 's'})`
        : [...r.issues.map(formatIssue), `${r.file}: ${r.issues.length} problem${r.issues.length === 1 ? '' : 's'}`].join('\n'),
    )
    .join('\n');
}

/** JUnit XML for GitLab's test report: one test case per file, one failure per problem. */
function renderJunit(reports: FileReport[]): string {
  const failures = reports.filter((r) => !r.valid).length;
  const cases = reports.map((r) => {
    const open = `    <testcase classname="gatehouse.validate" name="${xml(r.file)}" file="${xml(r.file)}">`;
    if (r.valid) return `${open}</testcase>`;
    const details = r.issues.map(formatIssue).join('\n');
    return `${open}\n      <failure message="${xml(`${r.issues.length} config problem(s)`)}" type="ConfigError">${xml(details)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gatehouse validate" tests="${reports.length}" failures="${failures}">`,
    `  <testsuite name="gatehouse validate" tests="${reports.length}" failures="${failures}" errors="0">`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
