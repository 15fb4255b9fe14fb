/**
 * Gathering what the WAF inspects from a request: path segments, query names and values (a
 * tolerant parser: split on `&`, then `=`; decoding is left to normalisation), chosen headers,
 * cookie names and values, and the body — JSON keys and strings at every depth, form fields, or
 * other content types as one text. Each goes to the Scanner with the classes excluded there.
 */
import type { RequestContext } from '../../core/context.js';
import { isJsonContentType } from '../../core/request-body.js';
import { ALL_CLASSES, descend, type CompiledExclusions, type ExclusionNode } from './exclusions.js';
import { decodeName, STOP, type FieldKind, type Scanner } from './score.js';
import type { WafInspect } from './schema.js';

/** What to inspect, compiled from the config and the exclusions. */
export interface InspectPlan {
  readonly path: boolean;
  /** Mask excluded on every path segment. */
  readonly pathMask: number;
  readonly query: boolean;
  readonly queryNames: ReadonlyMap<string, number>;
  readonly queryAll: number;
  /** Inspected headers (lower case) with the mask excluded on each. */
  readonly headers: ReadonlyArray<readonly [name: string, mask: number]>;
  readonly cookies: boolean;
  readonly cookieNames: ReadonlyMap<string, number>;
  readonly cookieAll: number;
  readonly body: boolean;
  readonly otherBodies: 'text' | 'skip';
  /** Form fields: the top level of the body exclusion tree. */
  readonly formNames: ReadonlyMap<string, number>;
  readonly formAll: number;
  /** The body exclusion tree (undefined: none). */
  readonly bodyRoot: ExclusionNode | undefined;
  readonly maxDepth: number;
}

/**
 * Builds the plan once, at compile.
 *
 * @example
 * ```ts
 * const plan = compilePlan(config.inspect, compileExclusions(config.exclusions));
 * ```
 */
export function compilePlan(inspect: WafInspect, ex: CompiledExclusions): InspectPlan {
  const root = ex.body;
  const formNames = new Map<string, number>();
  for (const [name, node] of root?.children ?? []) formNames.set(name, node.mask);
  return {
    path: inspect.path,
    pathMask: ex.path,
    query: inspect.query,
    queryNames: ex.query,
    queryAll: ex.queryAll,
    headers: inspect.headers.map((h) => h.toLowerCase()).filter((h, i, all) => all.indexOf(h) === i).map((h) => [h, ex.headerAll | (ex.header.get(h) ?? 0)] as const),
    cookies: inspect.cookies,
    cookieNames: ex.cookie,
    cookieAll: ex.cookieAll,
    body: inspect.body,
    otherBodies: inspect.otherBodies,
    formNames,
    formAll: (root?.mask ?? 0) | (root?.any?.mask ?? 0),
    bodyRoot: root,
    maxDepth: inspect.maxDepth,
  };
}

/**
 * Hands every inspected part of the request to the scanner, stopping when it says so.
 *
 * @example
 * ```ts
 * scanner.begin(ctx);
 * inspectRequest(ctx, scanner, plan);
 * if (scanner.stop === STOP.blocked) return blocked;
 * ```
 */
export function inspectRequest(ctx: RequestContext, s: Scanner, plan: InspectPlan): void {
  if (plan.path && inspectPath(ctx.path, s, plan.pathMask)) return;
  if (plan.query && ctx.query !== '' && inspectPairs(ctx.query, s, 'query', plan.queryNames, plan.queryAll)) return;
  const headers = ctx.req.headers;
  for (const [name, mask] of plan.headers) {
    const value = headers[name];
    if (value === undefined) continue;
    s.kind = 'header';
    s.name = name;
    if (typeof value === 'string') {
      if (s.value(value, false, 'header', mask)) return;
    } else {
      for (const v of value) if (s.value(v, false, 'header', mask)) return;
    }
  }
  if (plan.cookies) {
    const cookie = headers.cookie;
    if (cookie !== undefined && cookie !== '' && inspectCookies(cookie, s, plan)) return;
  }
  if (plan.body) inspectBody(ctx, s, plan);
}

function inspectPath(path: string, s: Scanner, mask: number): boolean {
  s.kind = 'path';
  let ordinal = 0;
  let start = 1;
  while (start <= path.length) {
    let slash = path.indexOf('/', start);
    if (slash === -1) slash = path.length;
    ordinal++;
    if (slash > start) {
      s.ordinal = ordinal;
      if (s.value(path.slice(start, slash), false, 'path', mask)) return true;
    }
    start = slash + 1;
  }
  return false;
}

/** Query strings and form bodies: `name=value` pairs split on `&` (linear even without any `=`). */
function inspectPairs(text: string, s: Scanner, kind: FieldKind, names: ReadonlyMap<string, number>, allMask: number): boolean {
  const isQuery = kind === 'query';
  const n = text.length;
  let ordinal = 0;
  let start = 0;
  let eq = -1;
  while (start < n) {
    let amp = text.indexOf('&', start);
    if (amp === -1) amp = n;
    if (amp > start) {
      ordinal++;
      if (eq < start) {
        eq = text.indexOf('=', start);
        if (eq === -1) eq = n + 1;
      }
      const nameEnd = eq < amp ? eq : amp;
      const name = text.slice(start, nameEnd);
      let mask = allMask;
      if (names.size > 0) mask |= names.get(decodeName(name)) ?? 0;
      s.kind = kind;
      s.name = name;
      s.ordinal = ordinal;
      s.isName = true;
      if (name !== '' && s.value(name, true, isQuery ? 'query-name' : 'form', mask)) return true;
      s.isName = false;
      if (eq < amp && eq + 1 < amp && s.value(text.slice(eq + 1, amp), true, isQuery ? 'query' : 'form', mask)) return true;
    }
    start = amp + 1;
  }
  s.isName = false;
  return false;
}

function inspectCookies(header: string, s: Scanner, plan: InspectPlan): boolean {
  s.kind = 'cookie';
  const n = header.length;
  let ordinal = 0;
  let start = 0;
  while (start < n) {
    let semi = header.indexOf(';', start);
    if (semi === -1) semi = n;
    let a = start;
    while (a < semi && header.charCodeAt(a) === 32) a++;
    if (semi > a) {
      ordinal++;
      const pair = header.slice(a, semi).trimEnd();
      const eq = pair.indexOf('=');
      const name = eq === -1 ? '' : pair.slice(0, eq);
      const value = eq === -1 ? pair : pair.slice(eq + 1);
      const mask = plan.cookieAll | (plan.cookieNames.get(name) ?? 0);
      s.name = name;
      s.ordinal = ordinal;
      s.isName = true;
      if (name !== '' && s.value(name, false, 'cookie', mask)) return true;
      s.isName = false;
      if (value !== '' && s.value(value, false, 'cookie', mask)) return true;
    }
    start = semi + 1;
  }
  s.isName = false;
  return false;
}

function inspectBody(ctx: RequestContext, s: Scanner, plan: InspectPlan): void {
  const root = plan.bodyRoot;
  const rootMask = root?.mask ?? 0;
  if (ctx.body !== undefined) {
    if (rootMask === ALL_CLASSES) return;
    s.kind = 'body';
    s.depth = 0;
    const nodes = root === undefined ? undefined : [root];
    if (typeof ctx.body === 'string') s.value(ctx.body, false, 'json-value', rootMask);
    else walkJson(ctx.body, 0, s, plan.maxDepth, nodes, rootMask);
    s.depth = -1;
    return;
  }
  const raw = ctx.rawBody;
  if (raw === undefined || raw.length === 0) return;
  const type = ctx.req.headers['content-type'];
  if (isFormContentType(type)) {
    inspectPairs(raw.toString('utf8'), s, 'body', plan.formNames, plan.formAll);
  } else if (plan.otherBodies === 'text' && !isJsonContentType(type)) {
    s.kind = 'body';
    s.name = '';
    s.value(raw.toString('utf8'), false, 'form', rootMask);
  }
}

function isFormContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const semi = value.indexOf(';');
  return (semi === -1 ? value : value.slice(0, semi)).trim().toLowerCase() === 'application/x-www-form-urlencoded';
}

/** Walks a parsed JSON value: keys and strings to the scanner, depth bounded, exclusions followed. */
function walkJson(v: unknown, depth: number, s: Scanner, maxDepth: number, nodes: readonly ExclusionNode[] | undefined, mask: number): boolean {
  if (typeof v !== 'object' || v === null) return false;
  if (depth >= maxDepth) return s.fail(STOP.tooDeep, `JSON nested deeper than ${maxDepth}`);
  const next = depth + 1;
  if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      let childNodes: ExclusionNode[] | undefined;
      let childMask = mask;
      if (nodes !== undefined) {
        childNodes = [];
        childMask |= descend(nodes, String(i), childNodes);
        if (childMask === ALL_CLASSES) continue;
        if (childNodes.length === 0) childNodes = undefined;
      }
      const el: unknown = v[i];
      s.segments[depth] = i;
      if (typeof el === 'string') {
        s.depth = next;
        if (s.value(el, false, 'json-value', childMask)) return true;
      } else if (typeof el === 'object' && el !== null && walkJson(el, next, s, maxDepth, childNodes, childMask)) return true;
    }
    return false;
  }
  let position = 0;
  const obj = v as Record<string, unknown>;
  for (const key in obj) {
    position++;
    let childNodes: ExclusionNode[] | undefined;
    let childMask = mask;
    if (nodes !== undefined) {
      childNodes = [];
      childMask |= descend(nodes, key, childNodes);
      if (childMask === ALL_CLASSES) continue;
      if (childNodes.length === 0) childNodes = undefined;
    }
    s.segments[depth] = key;
    s.positions[depth] = position;
    s.depth = next;
    s.isName = true;
    const stop = s.value(key, false, 'json-key', childMask);
    s.isName = false;
    if (stop) return true;
    const el = obj[key];
    if (typeof el === 'string') {
      s.depth = next;
      if (s.value(el, false, 'json-value', childMask)) return true;
    } else if (typeof el === 'object' && el !== null && walkJson(el, next, s, maxDepth, childNodes, childMask)) return true;
  }
  return false;
}
