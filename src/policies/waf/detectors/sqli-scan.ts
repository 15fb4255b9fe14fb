/**
 * The rest of a value, past the fingerprint window: a payload often starts with enough filler to
 * push its telling part out of the window (`'),NULL,NULL) WAITFOR DELAY '0:0:5'--`). The tokens
 * after the window are scanned, without folding, for primitives that mean SQL wherever they
 * stand: a time delay, UNION SELECT, a destructive or executing statement after `;`, an
 * unparsable comment, a call of a function only attacks use. Linear, and bounded by the value.
 */
import { T, Token } from './sqli-tokens.js';
import { F, hasFlag, kw } from './sqli-keywords.js';
import type { Tokenizer } from './sqli-tokenizer.js';
import { R } from './sqli-rules.js';

const SELECT = kw('SELECT'), ALL = kw('ALL'), DISTINCT = kw('DISTINCT'), WAITFOR = kw('WAITFOR');
const DELAY = kw('DELAY'), TIME = kw('TIME'), EXEC = kw('EXEC'), EXECUTE = kw('EXECUTE'), DECLARE = kw('DECLARE');
const SHUTDOWN = kw('SHUTDOWN'), INSERT = kw('INSERT'), INTO = kw('INTO'), DELETE = kw('DELETE'), FROM = kw('FROM');
const UNIONS = new Set(['UNION', 'UNION ALL', 'UNION DISTINCT', 'EXCEPT', 'INTERSECT'].map(kw));
const OBJECT_HEADS = new Set(['DROP', 'CREATE', 'ALTER', 'TRUNCATE'].map(kw));

/**
 * A reusable scanner keeping the last three significant tokens (comments skipped).
 *
 * @example
 * ```ts
 * const scan = new RestScanner();
 * scan.run(tokenizer, folder.tokens, 7, 9); // R.time for "…) WAITFOR DELAY '0:0:5'"
 * ```
 */
export class RestScanner {
  private readonly raw = new Token();
  // Types and keyword ids of the last three significant tokens: [0] oldest, [2] newest.
  private readonly types = new Int32Array(3);
  private readonly kws = new Int32Array(3);

  /**
   * Feeds the folder's leftover tokens `tokens[from, to)`, then the tokenizer's remaining raw
   * tokens; returns the first rule class found (of R), or 0.
   */
  run(tk: Tokenizer, tokens: readonly Token[], from: number, to: number): number {
    this.types.fill(T.none);
    this.kws.fill(-1);
    for (let i = from; i < to; i++) {
      const r = this.feed(tokens[i] as Token);
      if (r !== R.none) return r;
    }
    while (tk.next(this.raw)) {
      const r = this.feed(this.raw);
      if (r !== R.none) return r;
    }
    return this.feedEnd();
  }

  private feed(t: Token): number {
    if (t.type === T.evil) return R.evasion;
    if (t.type === T.comment) return this.types[2] === T.expression && this.kws[2] === SHUTDOWN && this.types[1] === T.semicolon ? R.stacked : R.none;
    const types = this.types, kws = this.kws;
    types[0] = types[1] as number; kws[0] = kws[1] as number;
    types[1] = types[2] as number; kws[1] = kws[2] as number;
    types[2] = t.type; kws[2] = t.kw;
    return this.match();
  }

  private feedEnd(): number {
    return this.types[1] === T.semicolon && this.kws[2] === SHUTDOWN ? R.stacked : R.none;
  }

  private match(): number {
    const types = this.types, kws = this.kws;
    const a = types[0] as number, b = types[1] as number, c = types[2] as number;
    const ka = kws[0] as number, kb = kws[1] as number, kc = kws[2] as number;
    // SLEEP(5), BENCHMARK(1e6, …), PG_SLEEP(…) and WAITFOR DELAY '…'
    if (b === T.lparen && hasFlag(ka, F.time) && (c === T.number || c === T.variable || c === T.lparen || c === T.function || c === T.expression)) return R.time;
    if (ka === WAITFOR && (kb === DELAY || kb === TIME) && (c === T.string || c === T.variable)) return R.time;
    if (kc === SELECT && (UNIONS.has(kb) || ((kb === ALL || kb === DISTINCT || b === T.lparen) && UNIONS.has(ka)))) return R.union;
    if (b === T.lparen && a === T.function && hasFlag(ka, F.strong)) return R.fingerprint;
    if (a === T.semicolon) {
      if (OBJECT_HEADS.has(kb) && hasFlag(kc, F.object)) return R.stacked;
      if ((kb === EXEC || kb === EXECUTE) && hasFlag(kc, F.strong)) return R.stacked;
      if (kb === DECLARE && c === T.variable) return R.stacked;
      if ((kb === INSERT && kc === INTO) || (kb === DELETE && kc === FROM)) return R.stacked;
    }
    return R.none;
  }
}
