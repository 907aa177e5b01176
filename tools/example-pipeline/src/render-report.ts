import type { GroupSummary, Synthesis } from './research-types.js';

/** What {@link renderReport} writes about. */
export interface ReportInput {
  /** The run id, `research/<time id>`. */
  readonly run: string;
  readonly synthesis: Synthesis;
}

/** Text for a Markdown table cell: one line, pipes escaped. */
function cell(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/\|/g, '\\|').trim();
}

function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  return [
    `| ${header.join(' | ')} |`,
    `| ${header.map(() => '---').join(' | ')} |`,
    ...rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
  ];
}

const score = (value: number) => value.toFixed(3);

function groupTable(name: string, groups: readonly GroupSummary[]): string[] {
  if (groups.length === 0) return ['No candidate was scored.'];
  return table(
    [name, 'scored', 'mean score', 'best score'],
    groups.map((group) => [
      group.value,
      String(group.scored),
      score(group.meanScore),
      score(group.bestScore),
    ]),
  );
}

/**
 * The run's report as Markdown: headline numbers, the best candidates, scores per topic and
 * per temperature, and every item that failed. Depends only on its input, so a resumed run
 * writes the same report as an uninterrupted one.
 */
export function renderReport({ run, synthesis }: ReportInput): string {
  const { metrics } = synthesis;
  const lines = [
    '# Research report',
    '',
    `Run \`${run}\` of the example pipeline: candidate answers generated over a topic × temperature grid, compressed, judged and ranked.`,
    '',
    '## Summary',
    '',
    ...table(
      ['measure', 'value'],
      [
        ['candidates requested', String(metrics.requested)],
        ['candidates generated', String(metrics.generated)],
        ['duplicates removed', String(metrics.duplicatesRemoved)],
        ['candidates scored', String(metrics.scored)],
        ['failed items', String(metrics.failed)],
        ['mean score', score(metrics.meanScore)],
        ['best score', score(metrics.bestScore)],
      ],
    ),
    '',
    '## Best candidates',
    '',
    ...(synthesis.best.length === 0
      ? ['No candidate was scored.']
      : table(
          ['rank', 'candidate', 'topic', 'temperature', 'score', 'answer'],
          synthesis.best.map((candidate, index) => [
            String(index + 1),
            candidate.id,
            candidate.topic,
            String(candidate.temperature),
            score(candidate.score),
            candidate.text,
          ]),
        )),
    '',
    '## By topic',
    '',
    ...groupTable('topic', synthesis.byTopic),
    '',
    '## By temperature',
    '',
    ...groupTable('temperature', synthesis.byTemperature),
    '',
    '## Failed items',
    '',
    ...(synthesis.failed.length === 0
      ? ['None.']
      : synthesis.failed.map(
          (item) => `- ${item.step}, item ${item.index} (${item.id}): ${cell(item.message)}`,
        )),
    '',
  ];
  return lines.join('\n');
}
