import { CairnError } from '@cairn/kernel';
import type { z } from 'zod';

/**
 * Validates an exporter's options where they enter.
 * @throws CairnError `INVALID_OPTIONS` naming the option and what was expected (never a value).
 */
export function parseExporterOptions<Schema extends z.ZodType>(
  exporter: string,
  schema: Schema,
  options: unknown,
): z.output<Schema> {
  const parsed = schema.safeParse(options ?? {});
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues
    .map((issue) => `${issue.path.join('.') || '(options)'}: ${issue.message}`)
    .join('; ');
  throw new CairnError({
    code: 'INVALID_OPTIONS',
    backend: exporter,
    message: `The ${exporter} exporter's options are not valid: ${problems}. See the @cairn/lineage-export README for each option.`,
    cause: parsed.error,
  });
}
