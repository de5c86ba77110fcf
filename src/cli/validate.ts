// `gatehouse validate FILE...`: checks config files and reports every problem with file:line:column,
// as text for people, JSON for tools, or JUnit XML for GitLab's test report.
import { formatIssue, type ConfigIssue } from '../config/issues.js';
import { loadConfigFile, type LoadOptions, type SkippedEndpoint } from '../config/load.js';
import { renderJunit } from './junit.js';

export type ReportFormat = 'text' | 'json' | 'junit';

export interface FileReport {
  file: string;
  valid: boolean;
  issues: ConfigIssue[];
  /** How many endpoints and routes it serves; absent when unknown (invalid, or variables not checked). */
  endpoints?: number;
  routes?: number;
  /** How many prompt versions its prompts folder holds (absent when it uses none, or is invalid). */
  prompts?: number;
  skipped: SkippedEndpoint[];
}

export function validateFiles(files: string[], env: NodeJS.ProcessEnv = process.env, options: LoadOptions = {}): FileReport[] {
  return files.map((file) => {
    const result = loadConfigFile(file, env, options);
    return {
      file,
      valid: result.issues.length === 0,
      issues: result.issues,
      // Registry models (mlflow-model) are endpoints too, gathered into a list of their own.
      endpoints: result.config && result.config.endpoints.length + result.config.model_endpoints.length,
      routes: result.config?.routes.length,
      prompts: result.prompts?.size || undefined,
      skipped: result.skipped ?? [],
    };
  });
}

export function renderReports(reports: FileReport[], format: ReportFormat): string {
  if (format === 'json') return JSON.stringify({ valid: reports.every((r) => r.valid), files: reports }, null, 2);
  if (format === 'junit') return renderJunit(reports);
  return reports.map(renderText).join('\n');
}

function renderText(report: FileReport): string {
  if (!report.valid) return [...report.issues.map(formatIssue), `${report.file}: ${plural(report.issues.length, 'problem')}`].join('\n');
  const served = report.endpoints === undefined ? [] : [plural(report.endpoints, 'endpoint'), plural(report.routes ?? 0, 'route')];
  if (report.prompts) served.push(plural(report.prompts, 'prompt'));
  const skipped = report.skipped.map((s) => `${s.name} skipped (${s.missing.join(', ')} not set)`);
  const details = [...served, ...skipped];
  return `${report.file}: valid${details.length ? ` (${details.join(', ')})` : ''}`;
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
