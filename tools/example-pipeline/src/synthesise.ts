import type {
  CompressedCandidates,
  EvaluatedCandidates,
  GeneratedCandidates,
  GroupSummary,
  RankedCandidate,
  Synthesis,
} from './research-types.js';

/** What {@link synthesise} works from: the outputs of the three steps before it. */
export interface SynthesisInput {
  readonly generated: GeneratedCandidates;
  readonly compressed: CompressedCandidates;
  readonly evaluated: EvaluatedCandidates;
}

/** Options for {@link synthesise}. */
export interface SynthesiseOptions {
  /** How many of the best candidates to keep. */
  readonly bestCount: number;
}

const roundScore = (value: number) => Math.round(value * 1000) / 1000;

function summarise(value: string, scores: readonly number[]): GroupSummary {
  return {
    value,
    scored: scores.length,
    meanScore: roundScore(scores.reduce((sum, score) => sum + score, 0) / scores.length),
    bestScore: Math.max(...scores),
  };
}

/** Groups scores by a parameter value, keeping the order in which values first appear. */
function groupBy(
  ranked: readonly RankedCandidate[],
  parameterOf: (candidate: RankedCandidate) => string,
): GroupSummary[] {
  const groups = new Map<string, number[]>();
  for (const candidate of ranked) {
    const value = parameterOf(candidate);
    const scores = groups.get(value) ?? [];
    scores.push(candidate.score);
    groups.set(value, scores);
  }
  return [...groups].map(([value, scores]) => summarise(value, scores));
}

/**
 * The `synthesise` step's computation: ranks the judged candidates (best score first, ties by
 * id so the order is stable), keeps the best, and sums the run up per topic, per temperature
 * and overall. Scores of no candidate at all give a mean and best of 0.
 */
export function synthesise(input: SynthesisInput, options: SynthesiseOptions): Synthesis {
  const candidates = new Map(
    input.compressed.candidates.map((candidate) => [candidate.id, candidate]),
  );
  const ranked: RankedCandidate[] = [];
  for (const evaluation of input.evaluated.evaluations) {
    const candidate = candidates.get(evaluation.id);
    if (candidate === undefined) continue;
    ranked.push({
      id: candidate.id,
      topic: candidate.topic,
      temperature: candidate.temperature,
      score: evaluation.score,
      text: candidate.text,
    });
  }
  ranked.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
  const scores = ranked.map((candidate) => candidate.score);
  const overall = scores.length === 0 ? undefined : summarise('all', scores);
  const failed = [...input.generated.failed, ...input.evaluated.failed];
  return {
    metrics: {
      requested: input.generated.requested,
      generated: input.generated.candidates.length,
      duplicatesRemoved: input.compressed.duplicatesRemoved,
      scored: ranked.length,
      failed: failed.length,
      meanScore: overall?.meanScore ?? 0,
      bestScore: overall?.bestScore ?? 0,
    },
    best: ranked.slice(0, options.bestCount),
    byTopic: groupBy(ranked, (candidate) => candidate.topic),
    byTemperature: groupBy(
      [...ranked].sort((a, b) => a.temperature - b.temperature),
      (candidate) => String(candidate.temperature),
    ),
    failed,
  };
}
