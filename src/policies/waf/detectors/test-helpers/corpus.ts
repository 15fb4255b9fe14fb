/**
 * Test support for the path-traversal, cmdi, ssti, nosqli, crlf and ldapi detectors: corpus
 * loading, the deterministic tuning / held-out split, block rates, and a shared benign set.
 * Test-only (excluded from the build by its folder name).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { Detector, InputLocation, ParanoiaLevel } from '../../detector.js';
import { normalize } from '../../normalize.js';

const CORPORA = new URL('../../../../../test/corpora/', import.meta.url);

/** The two halves of a corpus: `tuning` was looked at while writing rules, `heldOut` never. */
export interface Split {
  readonly tuning: readonly string[];
  readonly heldOut: readonly string[];
}

/**
 * The payloads of `attacks/<name>.jsonl`, split by the SHA-256 of the line (even first byte:
 * tuning), so the split does not depend on line order.
 *
 * @example
 * ```ts
 * const { tuning, heldOut } = attackSplit('cmdi');
 * ```
 */
export function attackSplit(name: string): Split {
  const tuning: string[] = [];
  const heldOut: string[] = [];
  for (const line of readFileSync(new URL(`attacks/${name}.jsonl`, CORPORA), 'utf8').split('\n')) {
    if (line === '') continue;
    const payload = (JSON.parse(line) as { payload: string }).payload;
    const even = (createHash('sha256').update(line).digest()[0] ?? 0) % 2 === 0;
    (even ? tuning : heldOut).push(payload);
  }
  return { tuning, heldOut };
}

/**
 * libinjection's false_positives.txt, decoded as a query string would be ('+' is a space).
 *
 * @example
 * ```ts
 * const lines = falsePositives();
 * ```
 */
export function falsePositives(): string[] {
  const out: string[] = [];
  for (const line of readFileSync(new URL('libinjection/false_positives.txt', CORPORA), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const spaced = line.replaceAll('+', ' ');
    try {
      out.push(decodeURIComponent(spaced));
    } catch {
      out.push(spaced);
    }
  }
  return out;
}

/**
 * Share of raw values (normalised first) the detector blocks on its own: a hit of 5 points or
 * more at the paranoia level (the policy's default threshold is 5).
 *
 * @example
 * ```ts
 * blockRate(cmdi, attackSplit('cmdi').heldOut, 'query'); // 0.9…
 * ```
 */
export function blockRate(detector: Detector, values: readonly string[], location: InputLocation, paranoia: ParanoiaLevel = 1): number {
  let blocked = 0;
  for (const v of values) {
    const hit = detector.detect(normalize(v), paranoia, location);
    if (hit !== undefined && hit.score >= 5) blocked++;
  }
  return values.length === 0 ? 0 : blocked / values.length;
}

/** Benign values none of the six detectors may block at paranoia level 1 (query and JSON). */
export const BENIGN: readonly string[] = [
  'report-2024.pdf', 'docs/intro.md', 'you & me', 'rock; paper; scissors', 'A | B testing', 'Terms & Conditions; see page 2',
  '2*(3+4)', 'alice@example.com', 'https://example.com/search?q=shoes&page=2', '{"name": "Bob", "tags": ["a", "b"]}',
  '${price} USD', 'The total is ${price} USD', '# Title\n\n- item one\n- item two\n\n**bold** and _em_ [link](https://x.y/z)',
  '| id | name |\n|----|------|\n| 1 | Bob |', 'cat food & dog toys', 'Sleep well; see you tomorrow', 'Q&A; find more at /help',
  'C# and .NET', 'Hello world. How are you?', 'image/png', 'v1.2.3', 'Loading...', 'wait... what?', 'and/or', 'see ../intro.md',
  'Dear team,\nThanks!\nBob', '1/26/11', 'price: $5 (was $7)', "O'Reilly", 'x = y * 2 + 1', '(a) (b) (c)', 'Hello {{name}}',
  'user.name', 'this.state is handy', 'C:\\Users\\bob\\report.docx', 'data:image/png;base64,iVBORw0KGgo=', 'Windows/Linux/macOS',
  'etc.', 'Ping me when ready', 'echo chamber', '50% off!', 'R&D department', 'black & white; red & blue', 'top 10 | best of',
  'AT&T', 'sort=-created_at', 'Mr. Smith & Sons (est. 1920)', 'f(x) = 2x + 1', 'a && b || c', 'Run `npm install` then `npm test`',
  'email: a@b.co', '[link](../guide/setup.md)', 'Sorry :-( see you', 'I <3 this', 'Price (USD) * quantity', '$regex is a word here',
];

/** Multi-line prose that a JSON or form text field carries (never a query: a newline there is itself suspect). */
export const BENIGN_TEXT: readonly string[] = [
  'Note: buy milk\nTodo: call mom', 'Subject: hello\n\nBody text', 'Line one\r\nLine two', 'Steps:\n1. open\n2. close',
];
