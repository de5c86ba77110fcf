// `gatehouse gitlab comment FILE`: posts a Markdown file (the output of `gatehouse diff --format
// markdown`) as the merge request's Gatehouse comment, editing the one an earlier pipeline left.
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { upsertNote } from '../gitops/gitlab-note.js';

interface CommentFlags {
  api?: string;
  project?: string;
  mergeRequest?: string;
  token?: string;
  jobToken?: string;
  marker: string;
}

export function addGitlab(program: Command): void {
  const gitlab = program
    .command('gitlab')
    .description('GitLab CI helpers')
    .addHelpText('after', '\nExamples:\n  gatehouse gitlab comment gatehouse-diff.md   (post the config diff on the merge request)\n');
  gitlab
    .command('comment')
    .description('post a Markdown file as a merge-request comment (edits the earlier one with the same marker)')
    .argument('<file>', 'Markdown file, e.g. from `gatehouse diff --format markdown`')
    .addOption(new Option('--api <url>', 'GitLab API URL').env('CI_API_V4_URL'))
    .addOption(new Option('--project <id>', 'project id or path').env('CI_PROJECT_ID'))
    .addOption(new Option('--merge-request <iid>', 'merge request IID').env('CI_MERGE_REQUEST_IID'))
    .addOption(new Option('--token <token>', 'project access token with the api scope (preferred)').env('GATEHOUSE_GITLAB_TOKEN'))
    .addOption(new Option('--job-token <token>', 'the CI job token, used when no --token is given').env('CI_JOB_TOKEN'))
    .option('--marker <text>', 'hidden text that identifies the comment', '<!-- gatehouse:config-diff -->')
    .addHelpText('after', '\nExamples:\n  gatehouse diff "$CI_MERGE_REQUEST_DIFF_BASE_SHA:gatehouse.yaml" gatehouse.yaml --format markdown > diff.md\n  gatehouse gitlab comment diff.md   (in a merge-request pipeline)\n')
    .action(async (file: string, flags: CommentFlags) => {
      const missing = [!flags.api && 'CI_API_V4_URL', !flags.project && 'CI_PROJECT_ID', !flags.mergeRequest && 'CI_MERGE_REQUEST_IID'].filter(Boolean);
      if (missing.length > 0) program.error(`gatehouse: not in a merge-request pipeline (${missing.join(', ')} unset)`, { exitCode: 2 });
      const auth = flags.token ? { privateToken: flags.token } : flags.jobToken ? { jobToken: flags.jobToken } : undefined;
      if (!auth) program.error('gatehouse: set GATEHOUSE_GITLAB_TOKEN (a project access token with the api scope) or run in a CI job (CI_JOB_TOKEN)', { exitCode: 2 });
      try {
        const outcome = await upsertNote({ api: flags.api!, project: flags.project!, mergeRequest: flags.mergeRequest!, auth: auth!, marker: flags.marker }, readFileSync(file, 'utf8'));
        process.stdout.write(`merge request !${flags.mergeRequest}: comment ${outcome.id} ${outcome.action}\n`);
      } catch (err) {
        program.error(`gatehouse: ${(err as Error).message}`, { exitCode: 1 });
      }
    });
}
