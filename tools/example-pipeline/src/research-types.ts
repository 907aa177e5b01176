/**
 * The data the research pipeline passes from step to step. Every step's output is checkpointed
 * as JSON, so these are plain data: no classes, no `undefined` in arrays, no dates.
 */

/** One item of the generate step: which candidate to write and which sample of its grid cell. */
export interface GenerationRequest {
  /** Stable id, `candidate-0007`, from the item's position. */
  readonly id: string;
  /** The parameter sweep's topic for this item. */
  readonly topic: string;
  /** The sampling temperature for this item. */
  readonly temperature: number;
  /** How many items before this one got the same topic and temperature. */
  readonly sample: number;
}

/** A candidate answer as the model wrote it. */
export interface Candidate {
  /** The id of the request that produced it. */
  readonly id: string;
  readonly topic: string;
  readonly temperature: number;
  /** The answer's text, hedges and all. */
  readonly text: string;
}

/** A candidate after compression: hedges dropped, shortened, duplicates merged into it. */
export interface CompressedCandidate extends Candidate {
  /** Ids of the candidates that said the same thing and were dropped in its favour. */
  readonly duplicates: readonly string[];
  /** True when the text was cut to the word limit. */
  readonly truncated: boolean;
}

/** An item that failed after its retries: recorded, reported, and not fatal. */
export interface FailedItem {
  /** The step whose map recorded it. */
  readonly step: string;
  /** The item's position in that map. */
  readonly index: number;
  /** The candidate it concerns, when known. */
  readonly id: string;
  /** Why it failed. */
  readonly message: string;
}

/** Output of `generate_candidates`. */
export interface GeneratedCandidates {
  /** Items in the map, failed ones included. */
  readonly requested: number;
  /** The candidates that were written, in item order. */
  readonly candidates: readonly Candidate[];
  readonly failed: readonly FailedItem[];
}

/** Output of `compress`. */
export interface CompressedCandidates {
  /** Candidates that came in. */
  readonly received: number;
  /** The distinct candidates, in the order of their first occurrence. */
  readonly candidates: readonly CompressedCandidate[];
  /** Candidates dropped as duplicates of an earlier one. */
  readonly duplicatesRemoved: number;
}

/** A judge's verdict on one compressed candidate. */
export interface Evaluation {
  readonly id: string;
  /** Between 0 and 1, higher is better. */
  readonly score: number;
}

/** Output of `evaluate`. */
export interface EvaluatedCandidates {
  /** Verdicts in the order of the compressed candidates. */
  readonly evaluations: readonly Evaluation[];
  readonly failed: readonly FailedItem[];
}

/** A scored candidate, as the synthesis ranks it. */
export interface RankedCandidate {
  readonly id: string;
  readonly topic: string;
  readonly temperature: number;
  readonly score: number;
  readonly text: string;
}

/** Scores of the candidates sharing one parameter value (a topic or a temperature). */
export interface GroupSummary {
  /** The parameter value, as text. */
  readonly value: string;
  readonly scored: number;
  readonly meanScore: number;
  readonly bestScore: number;
}

/**
 * The headline numbers of a run; checkpointed as the synthesis checkpoint's metrics, so a
 * catalog can rank runs by them without opening a payload.
 */
export type ResearchMetrics = {
  readonly requested: number;
  readonly generated: number;
  readonly duplicatesRemoved: number;
  readonly scored: number;
  readonly failed: number;
  readonly meanScore: number;
  readonly bestScore: number;
};

/** Output of `synthesise`. */
export interface Synthesis {
  readonly metrics: ResearchMetrics;
  /** The best candidates, best first. */
  readonly best: readonly RankedCandidate[];
  /** Per topic, the one with the best candidate first. */
  readonly byTopic: readonly GroupSummary[];
  /** Per temperature, lowest first. */
  readonly byTemperature: readonly GroupSummary[];
  /** Every item that failed in any step. */
  readonly failed: readonly FailedItem[];
}

/** What each model call takes besides its input. */
export interface ModelCallOptions {
  /** The caller's attempt number, from 1 (the map's retry policy counts it). */
  readonly attempt: number;
  /** Abandons the call: it rejects with the signal's reason. */
  readonly signal: AbortSignal;
}

/** The model the pipeline calls: writes candidate answers and judges them. */
export interface ResearchModel {
  /** Writes a candidate answer for a topic at a temperature. */
  generate(request: GenerationRequest, call: ModelCallOptions): Promise<Candidate>;
  /** Scores a candidate between 0 and 1. */
  score(candidate: Candidate, call: ModelCallOptions): Promise<Evaluation>;
}
