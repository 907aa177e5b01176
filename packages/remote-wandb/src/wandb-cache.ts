import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '@cairn/kernel';
import { z } from 'zod';
import { formatRunPath, type WandbRunPath } from './wandb-run-path.js';
import { type WandbRun, wandbRunSchema } from './wandb-run-response.js';

const cacheFormat = 'cairn.wandb-cache/v1';

/** One cached answer: the run as W&B returned it (null: W&B had no such run) and when. */
const cacheEntrySchema = z.object({
  format: z.literal(cacheFormat),
  run: z.string(),
  fetchedAt: z.number().int().nonnegative(),
  answer: wandbRunSchema.nullable(),
});

/** A cached answer. */
export interface CachedRun {
  /** When it was fetched (milliseconds since the epoch). */
  readonly fetchedAt: number;
  /** The run, or null when W&B said there is none. */
  readonly answer: WandbRun | null;
}

/**
 * Answers kept in memory for this process and, with a directory, on disk for the next: one
 * JSON file per run, named by a SHA-256 of the API's base URL and the run path, written to a
 * temporary file and renamed so a reader never sees half of one. Holds what W&B returned for
 * the run and nothing of the request (no key).
 */
export class WandbRunCache {
  private readonly memory = new Map<string, CachedRun>();

  constructor(
    private readonly baseUrl: string,
    private readonly directory: string | undefined,
    private readonly logger: Logger,
  ) {}

  private fileOf(path: WandbRunPath): string | undefined {
    if (this.directory === undefined) return undefined;
    const name = createHash('sha256')
      .update(`${this.baseUrl}\n${formatRunPath(path)}`)
      .digest('hex');
    return join(this.directory, `${name}.json`);
  }

  /** The cached answer for a run, or undefined; a damaged file is ignored (and replaced later). */
  async read(path: WandbRunPath): Promise<CachedRun | undefined> {
    const run = formatRunPath(path);
    const remembered = this.memory.get(run);
    if (remembered !== undefined) return remembered;
    const file = this.fileOf(path);
    if (file === undefined) return undefined;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return undefined;
    }
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      value = undefined;
    }
    const parsed = cacheEntrySchema.safeParse(value);
    if (!parsed.success || parsed.data.run !== run) {
      this.logger.warn({ run, file }, 'ignoring a damaged W&B cache file');
      return undefined;
    }
    const cached = { fetchedAt: parsed.data.fetchedAt, answer: parsed.data.answer };
    this.memory.set(run, cached);
    return cached;
  }

  /** Keeps an answer; a cache that cannot be written is logged and skipped, never fatal. */
  async write(path: WandbRunPath, cached: CachedRun): Promise<void> {
    const run = formatRunPath(path);
    this.memory.set(run, cached);
    const file = this.fileOf(path);
    if (file === undefined || this.directory === undefined) return;
    const temporary = `${file}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    try {
      await mkdir(this.directory, { recursive: true });
      await writeFile(temporary, JSON.stringify({ format: cacheFormat, run, ...cached }));
      await rename(temporary, file);
    } catch (error) {
      await rm(temporary, { force: true }).catch(() => {});
      this.logger.warn(
        { run, code: (error as { code?: unknown }).code },
        'could not write the W&B cache; answers will be fetched again',
      );
    }
  }
}
