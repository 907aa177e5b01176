import { JSDOM } from 'jsdom';

// Mermaid's own parser, loaded under a DOM shim: mermaid needs `window` and `document` (for
// DOMPurify) even to parse. Test-only: neither is a dependency of the package.

interface FlowchartVertex {
  readonly id: string;
  readonly text?: string;
}

interface MermaidParser {
  parse(text: string): Promise<unknown>;
  vertices(text: string): Promise<FlowchartVertex[]>;
  readonly dom: JSDOM;
}

let parser: Promise<MermaidParser> | undefined;

function loadParser(): Promise<MermaidParser> {
  parser ??= (async () => {
    const dom = new JSDOM('<!doctype html><html><body></body></html>');
    const global = globalThis as unknown as Record<string, unknown>;
    global.window ??= dom.window;
    global.document ??= dom.window.document;
    const { default: mermaid } = await import('mermaid');
    mermaid.initialize({ startOnLoad: false });
    // getDiagramFromText is how mermaid.render gets the parsed flowchart; its database holds
    // the vertices with their label text as Mermaid will draw it.
    const api = mermaid.mermaidAPI as unknown as {
      getDiagramFromText(text: string): Promise<{
        db: { getVertices(): Map<string, FlowchartVertex> | Record<string, FlowchartVertex> };
      }>;
    };
    return {
      dom,
      parse: (diagram) => mermaid.parse(diagram),
      vertices: async (diagram) => {
        const vertices = (await api.getDiagramFromText(diagram)).db.getVertices();
        return vertices instanceof Map ? [...vertices.values()] : Object.values(vertices);
      },
    };
  })();
  return parser;
}

/** Parses a diagram with Mermaid; rejects with Mermaid's parse error. */
export async function parseMermaid(text: string): Promise<unknown> {
  return (await loadParser()).parse(text);
}

/**
 * The text of each flowchart node as a browser shows it: Mermaid's parser reads the diagram,
 * then its entity codes are decoded the way Mermaid does before drawing (`#quot;` is stored as
 * `ﬂ°quot¶ß`, i.e. `&quot;`; `#35;` as `ﬂ°°35¶ß`, i.e. `&#35;`) and the label is read as HTML
 * (which is how Mermaid draws it): `<br>` is a line break and any other tag is markup, not text,
 * so a name whose `<b>` was not escaped comes back without it.
 */
export async function mermaidLabels(text: string): Promise<string[]> {
  const { vertices, dom } = await loadParser();
  const element = dom.window.document.createElement('div');
  return (await vertices(text)).map((vertex) => {
    const html = (vertex.text ?? vertex.id)
      .replace(/ﬂ°°/g, '&#')
      .replace(/ﬂ°/g, '&')
      .replace(/¶ß/g, ';')
      .replace(/<br\s*\/?>/gi, '\n');
    element.innerHTML = html;
    return element.textContent ?? '';
  });
}
