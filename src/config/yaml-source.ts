/**
 * A parsed YAML document with its source positions, so that any mistake found later (schema,
 * semantics, a policy's compile()) can be reported with its line and column.
 */
import { LineCounter, parseDocument, isMap, isNode, isScalar, isSeq, type Document } from 'yaml';
import type { ConfigIssue, ConfigPath } from '../core/config-error.js';

/** A YAML document plus where each node sits. */
export interface YamlSource {
  /** The plain data. */
  readonly data: unknown;
  /** Problems of YAML syntax itself (already with lines). */
  readonly syntaxIssues: ConfigIssue[];
  /** Adds line/column to an issue whose path points into the document (or its nearest parent). */
  locate(issue: ConfigIssue): ConfigIssue;
}

/** Anchors/aliases expanded at most this many times: a "billion laughs" file is refused. */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML text strictly: duplicate keys are errors, aliases are bounded.
 *
 * @example
 * ```ts
 * const src = parseYamlSource('routes: []\n');
 * src.data // { routes: [] }
 * ```
 */
export function parseYamlSource(text: string): YamlSource {
  const lineCounter = new LineCounter();
  const doc: Document = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true, strict: true, version: '1.2' });
  const syntaxIssues: ConfigIssue[] = [];
  // After the first syntax error the rest are usually its echoes: report that one.
  for (const err of doc.errors.slice(0, 1)) {
    const pos = lineCounter.linePos(err.pos[0]);
    syntaxIssues.push({ path: [], message: `YAML: ${firstLine(err.message)}`, severity: 'error', line: pos.line, column: pos.col });
  }
  let data: unknown = undefined;
  if (syntaxIssues.length === 0) {
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT });
    } catch (error) {
      syntaxIssues.push({ path: [], message: `YAML: ${firstLine(error instanceof Error ? error.message : String(error))}`, severity: 'error', line: 1, column: 1 });
    }
  }
  return {
    data,
    syntaxIssues,
    locate(issue: ConfigIssue): ConfigIssue {
      if (issue.line !== undefined) return issue;
      const offset = offsetOf(doc, issue.path);
      if (offset === undefined) return issue;
      const pos = lineCounter.linePos(offset);
      return { ...issue, line: pos.line, column: pos.col };
    },
  };
}

function offsetOf(doc: Document, path: ConfigPath): number | undefined {
  // Walk down as far as the path exists; a missing key is reported at its parent. A mapping entry
  // is reported at its key, which is on the line an operator looks for even when the value is a
  // block starting on the next line.
  let node: unknown = doc.contents;
  let offset = isNode(node) && node.range ? node.range[0] : undefined;
  for (const seg of path) {
    let next: unknown;
    let at: unknown;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(seg));
      if (!pair) break;
      next = pair.value;
      at = pair.key;
    } else if (isSeq(node) && typeof seg === 'number') {
      next = node.items[seg];
      at = next;
    } else {
      break;
    }
    if (!isNode(at) || !at.range) break;
    offset = at.range[0];
    node = next;
  }
  return offset;
}

function firstLine(message: string): string {
  const nl = message.indexOf('\n');
  return nl === -1 ? message : message.slice(0, nl);
}
