import { type CairnError, isCairnError } from '../errors/cairn-error.js';
import { pluginKindLabels } from './builtin-plugins.js';
import { configProblemError } from './config-issues.js';
import type { ConfigProvenance, YamlPathSegments } from './config-provenance.js';
import type { PluginKind } from './plugin.js';
import { scrub } from './redact.js';

/** The plugin whose factory failed, as far as the error needs it. */
export interface FailedPlugin {
  /** Where its reference sits in the config. */
  readonly segments: YamlPathSegments;
  /** Its kind, for the message. */
  readonly kind: PluginKind;
  /** Its manifest's name. */
  readonly name: string;
}

/**
 * The error for a plugin factory that threw: located at the plugin's place in the config,
 * keeping the code and retryability of a Cairn error, with every secret scrubbed from the
 * message. A cause that quotes a secret is left out entirely (`details.causeWithheld`).
 */
export function creationError(
  error: unknown,
  plugin: FailedPlugin,
  provenance: ConfigProvenance,
  secrets: ReadonlySet<string>,
): CairnError {
  if (isCairnError(error) && error.backend === 'config') return error;
  const reason = scrub(String((error as Error)?.message ?? error).split('\n')[0] ?? '', secrets);
  const label = `${pluginKindLabels[plugin.kind]} plugin "${plugin.name}"`;
  // A message a plugin wrote may quote a secret option; such a cause is left out entirely.
  const leaks = [...secrets].some((secret) => causeChainText(error).includes(secret));
  return configProblemError(
    isCairnError(error) ? error.code : 'INVALID_OPTIONS',
    provenance,
    plugin.segments,
    `${label} could not be created: ${reason}${/[.!?]$/.test(reason) ? '' : '.'}${isCairnError(error) ? '' : ' Check its options.'}`,
    {
      ...(leaks ? {} : { cause: error }),
      retryable: isCairnError(error) ? error.retryable : false,
      details: { plugin: plugin.name, ...(leaks ? { causeWithheld: true } : {}) },
    },
  );
}

function causeChainText(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current !== undefined && current !== null; depth += 1) {
    if (typeof current === 'object') {
      const { message, stack, details } = current as {
        message?: unknown;
        stack?: unknown;
        details?: unknown;
      };
      parts.push(String(message), String(stack));
      try {
        parts.push(JSON.stringify(details) ?? '');
      } catch {
        parts.push('');
      }
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join('\n');
}
