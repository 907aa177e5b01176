import type { Coverage, ErrorSummary } from '../journal/journal-events.js';

/** How one item ended: done with its value, or failed with its error. */
export type ItemOutcome<Result> =
  | {
      readonly index: number;
      /** The item's key, when the map has a `key` function. */
      readonly key?: string;
      readonly status: 'done';
      /** The worker's result as stored: `JSON.parse(JSON.stringify(result))`. */
      readonly value: Result;
      /** The sweep parameters it ran with. */
      readonly parameters?: Readonly<Record<string, unknown>>;
      /** True when an earlier call did it and its value was read back from storage. */
      readonly resumed: boolean;
    }
  | {
      readonly index: number;
      readonly key?: string;
      readonly status: 'failed';
      /** Why it failed (after its retries). */
      readonly error: ErrorSummary;
      readonly parameters?: Readonly<Record<string, unknown>>;
      /** True when an earlier call recorded the failure and `retryFailed` was false. */
      readonly resumed: boolean;
    };

/** What {@link mapItems} returns once every item is done or failed. */
export interface MapItemsResult<Result> {
  /** One outcome per item, in input order. */
  readonly outcomes: readonly ItemOutcome<Result>[];
  /**
   * Each item's value in input order; `null` for failed items, so a step can return the array
   * as its output and it stays plain JSON (look at `outcomes` to tell a failure from a `null`
   * result).
   */
  readonly values: readonly (Result | null)[];
  /** Items done (including those done by earlier calls). */
  readonly done: number;
  /** Items failed. */
  readonly failed: number;
  /**
   * Items this call did not run because an earlier call finished them (done, or failed when
   * `retryFailed` is false).
   */
  readonly skipped: number;
  /** Done and failed counts per parameter value, with a grid. */
  readonly coverage?: Coverage;
  /** How long the call took, on the map's clock. */
  readonly durationMs: number;
}
