/**
 * OS command injection (class `cmdi`).
 *
 * A command word counts only where a shell would start a command: at the start of the value,
 * after `;`, `|`, `&`, a newline (also the text `\n`), inside `` ` `` or `$(`, or after `{` (brace
 * expansion `{cat,/etc/passwd}`). The word is read the way a shell reads it: quotes and
 * backslashes inside it vanish (`c'a't`, `c\at`), so do empty expansions (`$@`, `$9`), and
 * `${IFS}` is a space; a `/bin/` or `/usr/bin/` prefix is a path to the command. What follows
 * decides how sure we are (see cmdi-commands.ts for the strong and weak word lists):
 * - `cmdi.command`: a strong command after a separator, or any command with shell-shaped
 *   arguments (`-l`, `/etc`, `C:\`, `%VAR%`, `$X`, a URL, a redirection) — level 1; a weak
 *   command with plain words after a separator, or a lone strong command — level 2.
 * - `cmdi.substitution`: any command inside `` `…` `` or `$(…)` — level 1; `$(` alone — level 2.
 * - `cmdi.code-exec`: `system(`, `exec(`, `passthru(`, `os.popen(`, … — level 1.
 * - `cmdi.shellshock` (`() {` at the start), `cmdi.ifs` (`$IFS`), `cmdi.ssi` (`<!--#exec`),
 *   `cmdi.reverse-shell` (`/dev/tcp/`) — level 1.
 * Prose passes: in "you & me" or "rock; paper" no command follows the separator.
 */
import type { Detector, DetectorHit, InputLocation, ParanoiaLevel } from '../detector.js';
import { BIN_DIRS, CODE_EXEC, LOOKUP, NUMERIC, RECON, STRONG, SUBCOMMANDS, WEAK } from './cmdi-commands.js';

const COMMAND: DetectorHit = Object.freeze({ rule: 'cmdi.command', score: 5 });
const COMMAND_WEAK: DetectorHit = Object.freeze({ rule: 'cmdi.command', score: 3 });
const COMMAND_NOTICE: DetectorHit = Object.freeze({ rule: 'cmdi.command', score: 2 });
const SUBSTITUTION: DetectorHit = Object.freeze({ rule: 'cmdi.substitution', score: 5 });
const SUBSTITUTION_WEAK: DetectorHit = Object.freeze({ rule: 'cmdi.substitution', score: 3 });
const CODE: DetectorHit = Object.freeze({ rule: 'cmdi.code-exec', score: 5 });
const SHELLSHOCK: DetectorHit = Object.freeze({ rule: 'cmdi.shellshock', score: 5 });
const IFS: DetectorHit = Object.freeze({ rule: 'cmdi.ifs', score: 5 });
const SSI: DetectorHit = Object.freeze({ rule: 'cmdi.ssi', score: 5 });
const REVERSE_SHELL: DetectorHit = Object.freeze({ rule: 'cmdi.reverse-shell', score: 5 });

/** Longest command word read (longer words are not commands). */
const MAX_WORD = 24;
/** Most blanks skipped between a separator, a command and its argument (keeps each look bounded). */
const MAX_GAP = 64;

/** Where a command may start. */
const START = 0;
const SEPARATOR = 1;
const SUBST = 2;

/** What follows the command word. */
const BARE = 0;
const SHELL = 1;
const WORD = 2;
const NUMBER = 3;
const NONE = 4;

/** 1 for the characters the scan stops at: `; & | \n \r \\ \` $ { ( < /`. */
const TRIGGERS = ((): Uint8Array => {
  const t = new Uint8Array(128);
  for (const ch of ';&|\n\r\\`${(</') t[ch.charCodeAt(0)] = 1;
  return t;
})();

function isWordChar(c: number): boolean {
  const l = c | 0x20;
  return (l >= 97 && l <= 122) || (c >= 48 && c <= 57) || c === 95 || c === 45 || c === 46;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 44;
}

/** Characters that end a command: separators, closers, quotes, redirections. */
function isEnd(c: number): boolean {
  return c === -1 || Number.isNaN(c) || c === 59 || c === 124 || c === 38 || c === 10 || c === 13 || c === 96 || c === 41 || c === 125 || c === 60 || c === 62 || c === 34 || c === 39;
}

/** Length of an empty shell expansion at i (`$@`, `$*`, `$1`…`$9`, `''`, `""`), or 0. */
function emptyExpansion(s: string, i: number): number {
  const c = s.charCodeAt(i);
  const d = s.charCodeAt(i + 1);
  if (c === 36 && (d === 64 || d === 42 || (d >= 49 && d <= 57))) return 2;
  if ((c === 39 || c === 34) && d === c) return 2;
  return 0;
}

/** Length of `${IFS}`, `$IFS` at i, or 0. */
function ifsAt(s: string, i: number): number {
  if (s.charCodeAt(i) !== 36) return 0;
  const brace = s.charCodeAt(i + 1) === 123 ? 1 : 0;
  if (s.slice(i + 1 + brace, i + 4 + brace).toLowerCase() !== 'ifs') return 0;
  if (brace === 0) return 4;
  return s.charCodeAt(i + 5) === 125 ? 6 : 0;
}

/** A command word read at a position, with where it ended and whether a bin path led to it. */
interface Word { word: string; end: number; pathed: boolean }

/**
 * Reads the word a shell would run at i: skips quotes and backslashes inside it, empty
 * expansions, and a leading `/bin/`-style path. Returns undefined when no word starts there.
 */
function readCommand(s: string, i: number): Word | undefined {
  // Fast path: a plain word ended by something that is neither a path, a quote nor an escape.
  let e = i;
  while (e < s.length && e - i <= MAX_WORD && isWordChar(s.charCodeAt(e))) e++;
  const stop = s.charCodeAt(e);
  if (e > i && e - i <= MAX_WORD && stop !== 47 && stop !== 39 && stop !== 34 && stop !== 92 && stop !== 36) {
    const word = s.slice(i, e).toLowerCase();
    return { word: word.endsWith('.exe') ? word.slice(0, -4) : word, end: e, pathed: false };
  }
  if (e - i > MAX_WORD) return undefined;
  return readShellWord(s, i);
}

/** {@link readCommand} for words with quotes, escapes, expansions or a path. */
function readShellWord(s: string, i: number): Word | undefined {
  const n = s.length;
  let pathed = false;
  let word = '';
  let j = i;
  for (let steps = 0; j < n && steps < 64; steps++) {
    const c = s.charCodeAt(j);
    if (isWordChar(c)) {
      if (word.length >= MAX_WORD) return undefined;
      word += c >= 65 && c <= 90 ? String.fromCharCode(c + 32) : s[j];
      j++;
      continue;
    }
    if (c === 47) {
      // A path: the word so far was a directory; a bin directory makes the next word a command.
      if (word !== '' && !BIN_DIRS.has(word) && word !== 'usr' && word !== 'local') return undefined;
      if (BIN_DIRS.has(word)) pathed = true;
      word = '';
      j++;
      continue;
    }
    if (word === '' && j > i) {
      if (c === 39 || c === 34) { j++; continue; }
    }
    const skip = emptyExpansion(s, j);
    if (skip > 0) { j += skip; continue; }
    // Quotes and backslashes between letters vanish in a shell (`c'a't`, `c\at`).
    if ((c === 39 || c === 34 || c === 92) && word !== '' && isWordChar(s.charCodeAt(j + 1))) { j++; continue; }
    break;
  }
  if (word === '') return undefined;
  if (word.endsWith('.exe')) word = word.slice(0, -4);
  return { word, end: j, pathed };
}

/** Classifies what follows a command word ending at i. */
function argumentShape(s: string, i: number, brace: boolean): number {
  const c = s.charCodeAt(i);
  if (isEnd(c)) return BARE;
  let j = i;
  const ifs = ifsAt(s, j);
  if (ifs > 0) return SHELL;
  if (!isSpace(c) || (c === 44 && !brace)) return NONE;
  while (isSpace(s.charCodeAt(j)) && j < i + MAX_GAP) j++;
  if (ifsAt(s, j) > 0) return SHELL;
  const a = s.charCodeAt(j);
  const b = s.charCodeAt(j + 1);
  if (Number.isNaN(a)) return BARE;
  if (a === 45 && isWordChar(b)) return SHELL;
  if (a === 47 || a === 126 || a === 36 || a === 60 || a === 62 || a === 124 || a === 92) return SHELL;
  if (a === 46 && (b === 47 || b === 92 || b === 46)) return SHELL;
  if (a === 37 && ((b | 0x20) >= 97 && (b | 0x20) <= 122)) return SHELL;
  if (((a | 0x20) >= 97 && (a | 0x20) <= 122) && b === 58 && (s.charCodeAt(j + 2) === 92 || s.charCodeAt(j + 2) === 47)) return SHELL;
  const scheme = s.slice(j, j + 8).toLowerCase();
  if (scheme.startsWith('http://') || scheme.startsWith('https://') || scheme.startsWith('ftp://')) return SHELL;
  // A quoted argument that opens markup, a variable or a path (`echo '<?php`, `perl -e '$x'`).
  if ((a === 39 || a === 34) && (b === 60 || b === 36 || b === 47 || b === 45)) return SHELL;
  if (a >= 48 && a <= 57) {
    let k = j;
    while (s.charCodeAt(k) >= 48 && s.charCodeAt(k) <= 57) k++;
    while (s.charCodeAt(k) === 32) k++;
    return isEnd(s.charCodeAt(k)) || k === s.length ? NUMBER : WORD;
  }
  return WORD;
}

/** The lower-cased word at i (letters only, at most MAX_WORD), or ''. */
function wordAt(s: string, i: number): string {
  let j = i;
  while (j < s.length && j - i <= MAX_WORD && isWordChar(s.charCodeAt(j))) j++;
  return s.slice(i, j).toLowerCase();
}

/** True when the argument after a command word is a subcommand or command that makes it a shape. */
function namesCommand(s: string, w: Word): boolean {
  const subs = SUBCOMMANDS.get(w.word);
  const lookup = LOOKUP.has(w.word);
  if (subs === undefined && !lookup) return false;
  let j = w.end;
  while (isSpace(s.charCodeAt(j)) && j < w.end + MAX_GAP) j++;
  if (j === w.end) return false;
  const next = wordAt(s, j);
  return subs !== undefined ? subs.has(next) : STRONG.has(next);
}

/** True when nothing but spaces and quotes follows i. */
function restIsEmpty(s: string, i: number): boolean {
  for (let j = i; j < s.length; j++) {
    const c = s.charCodeAt(j);
    if (c !== 32 && c !== 39 && c !== 34 && c !== 9) return false;
  }
  return true;
}

/** The verdict for one command position. */
function judge(s: string, at: number, where: number, brace: boolean, paranoia: ParanoiaLevel): DetectorHit | undefined {
  let i = at;
  const limit = Math.min(s.length, at + MAX_GAP);
  while (i < limit && (isSpace(s.charCodeAt(i)) || s.charCodeAt(i) === 40 || s.charCodeAt(i) === 123 || s.charCodeAt(i) === 39 || s.charCodeAt(i) === 34)) {
    if (s.charCodeAt(i) === 123) brace = true;
    i++;
  }
  const w = readCommand(s, i);
  if (w === undefined) return undefined;
  const strong = STRONG.has(w.word) || w.pathed;
  const weak = !strong && WEAK.has(w.word);
  if (!strong && !weak) return undefined;
  const shape = argumentShape(s, w.end, brace);
  if (shape === NONE) return undefined;
  if (where === SUBST) return SUBSTITUTION;
  if (shape === SHELL || (shape === NUMBER && NUMERIC.has(w.word))) return COMMAND;
  if (shape === WORD && namesCommand(s, w)) return COMMAND;
  if (shape === BARE && RECON.has(w.word) && restIsEmpty(s, w.end)) return COMMAND;
  if (where === SEPARATOR) {
    if (strong) return COMMAND;
    return paranoia >= 2 ? COMMAND_WEAK : undefined;
  }
  if (strong && shape === BARE) return paranoia >= 2 ? COMMAND_WEAK : undefined;
  return paranoia >= 3 ? COMMAND_NOTICE : undefined;
}

/** True when the `|` at i opens a markdown table cell (`| id |`), not a pipe. */
function tableCell(s: string, i: number): boolean {
  if (s.charCodeAt(i + 1) !== 32) return false;
  let j = i + 2;
  while (j < s.length && j < i + 40 && s.charCodeAt(j) !== 124) j++;
  return s.charCodeAt(j) === 124 && s.charCodeAt(j - 1) === 32;
}

/** The identifier (with dots) just before the `(` at i, lower-cased, or ''. */
function callee(s: string, i: number): string {
  let j = i;
  while (j > 0 && s.charCodeAt(j - 1) === 32) j--;
  const end = j;
  while (j > 0 && end - j < 32 && (isWordChar(s.charCodeAt(j - 1)) && s.charCodeAt(j - 1) !== 45)) j--;
  // The shortest name in CODE_EXEC has four letters: skip the slice for `f(x)` and `2*(3+4)`.
  return end - j < 4 ? '' : s.slice(j, end).toLowerCase();
}

function stronger(a: DetectorHit | undefined, b: DetectorHit | undefined): DetectorHit | undefined {
  if (a === undefined) return b;
  return b !== undefined && b.score > a.score ? b : a;
}

function scan(s: string, paranoia: ParanoiaLevel, newlineSeparates: boolean): DetectorHit | undefined {
  let best = judge(s, 0, START, false, paranoia);
  if (best === COMMAND) return best;
  let first = 0;
  while (first < s.length && s.charCodeAt(first) === 32) first++;
  if (s.charCodeAt(first) === 40 && s.charCodeAt(first + 1) === 41 && s.slice(first + 2, first + 6).trimStart().startsWith('{')) return SHELLSHOCK;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 128 || TRIGGERS[c] === 0) continue;
    let hit: DetectorHit | undefined;
    if (c === 59 || c === 38 || (c === 124 && !tableCell(s, i))) {
      hit = judge(s, i + 1, SEPARATOR, false, paranoia);
    } else if (c === 10 || c === 13 || (c === 92 && (s.charCodeAt(i + 1) === 110 || s.charCodeAt(i + 1) === 114))) {
      hit = judge(s, c === 92 ? i + 2 : i + 1, newlineSeparates ? SEPARATOR : START, false, paranoia);
    } else if (c === 96) {
      hit = judge(s, i + 1, SUBST, false, paranoia);
    } else if (c === 36) {
      const d = s.charCodeAt(i + 1);
      if (d === 40) {
        hit = judge(s, i + 2, SUBST, false, paranoia) ?? (paranoia >= 2 ? SUBSTITUTION_WEAK : undefined);
      } else if (ifsAt(s, i) > 0) return IFS;
      // PHP's complex syntax runs a call inside a string: `{${sleep(5)}}`, `${@print(…)}`.
      else if (d === 123 && (s.charCodeAt(i - 1) === 123 || s.charCodeAt(i + 2) === 64)) return CODE;
    } else if (c === 123) {
      hit = judge(s, i + 1, SEPARATOR, true, paranoia);
    } else if (c === 40) {
      if (CODE_EXEC.has(callee(s, i))) return CODE;
    } else if (c === 60 && s.startsWith('!--#', i + 1)) {
      const d = s.slice(i + 5, i + 12).toLowerCase();
      if (d.startsWith('exec') || d.startsWith('include')) return SSI;
    } else if (c === 47 && s.slice(i + 1, i + 9).toLowerCase() === 'dev/tcp/') return REVERSE_SHELL;
    if (hit !== undefined && hit.score >= 5) return hit;
    best = stronger(best, hit);
  }
  return best;
}

/**
 * The command-injection detector.
 *
 * @example
 * ```ts
 * cmdi.detect('x; cat /etc/passwd', 1, 'query'); // { rule: 'cmdi.command', score: 5 }
 * cmdi.detect('rock; paper', 1, 'query');        // undefined
 * ```
 */
export const cmdi: Detector = {
  ruleClass: 'cmdi',
  detect(value: string, paranoia: ParanoiaLevel, location: InputLocation): DetectorHit | undefined {
    // Newlines separate commands in a query or header; in a JSON or form text they end lines of prose.
    return scan(value, paranoia, location !== 'json-value' && location !== 'form');
  },
};
