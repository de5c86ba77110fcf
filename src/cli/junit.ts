// JUnit XML for GitLab's unit test report (artifacts:reports:junit): one test case per config
// file, failed when the file is invalid. GitLab shows a failure's text as the test's details, so
// the text holds every problem, one per line.
import { formatIssue } from '../config/issues.js';
import type { FileReport } from './validate.js';

export function renderJunit(reports: FileReport[]): string {
  const failures = reports.filter((r) => !r.valid).length;
  const counts = `tests="${reports.length}" failures="${failures}" errors="0"`;
  const cases = reports.map((r) => {
    const open = `    <testcase classname="gatehouse.validate" name="${xml(r.file)}" file="${xml(r.file)}" time="0">`;
    if (r.valid) return `${open}</testcase>`;
    const summary = `${r.issues.length} config problem${r.issues.length === 1 ? '' : 's'}`;
    const details = r.issues.map(formatIssue).join('\n');
    return `${open}\n      <failure message="${xml(summary)}" type="ConfigError">${xml(details)}</failure>\n    </testcase>`;
  });
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="gatehouse validate" ${counts}>`,
    `  <testsuite name="gatehouse validate" ${counts}>`,
    ...cases,
    '  </testsuite>',
    '</testsuites>',
  ].join('\n');
}

/** Escapes markup and replaces characters XML 1.0 cannot hold at all (a file name or key may contain any). */
export function xml(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/[<>&"']/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[c]!);
}
