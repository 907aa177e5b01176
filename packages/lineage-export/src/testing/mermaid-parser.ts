import { JSDOM } from 'jsdom';

// Mermaid's own parser, loaded under a DOM shim: mermaid needs `window` and `document` (for
// DOMPurify) even to parse. Test-only: neither is a dependency of the package.

let parser: Promise<(text: string) => Promise<unknown>> | undefined;

/** Parses a diagram with Mermaid; rejects with Mermaid's parse error. */
export function parseMermaid(text: string): Promise<unknown> {
  parser ??= (async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    const global = globalThis as unknown as Record<string, unknown>;
    global.window ??= dom.window;
    global.document ??= dom.window.document;
    const { default: mermaid } = await import('mermaid');
    mermaid.initialize({ startOnLoad: false });
    return (diagram: string) => mermaid.parse(diagram);
  })();
  return parser.then((parse) => parse(text));
}
