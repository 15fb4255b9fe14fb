/**
 * The CEL side of abac: one Environment declaring the four variables and their types, compiled
 * conditions, and what a condition reads (so a request builds only those variables, and parses
 * its query string only when the condition reads `request.query`).
 *
 * The implementation is @marcbachmann/cel-js: of the two CEL libraries that run on Node 20 it is
 * the one that passed every case of our conformance set, type-checks at load (unknown variables,
 * fields of `time` and `request`, functions and operator overloads are load errors) and evaluates
 * about ten times faster than @bufbuild/cel.
 */
import { Environment, type ASTNode } from '@marcbachmann/cel-js';
import { ConfigError, configError } from '../../core/config-error.js';
import { TimeOfRequest } from './clock.js';

/** The value of `request` in a condition (its CEL type is `portcullis.Request`). */
export class RequestView {
  /** Upper case as sent. */
  readonly method: string;
  /** Without the query string, not decoded. */
  readonly path: string;
  /** The route template that matched (`/api/v1/reports/{department}`). */
  readonly route: string;
  /** Path parameters (decoded). */
  readonly params: Readonly<Record<string, string | undefined>>;
  /** Query parameters (decoded); empty unless the condition reads request.query. */
  readonly query: Readonly<Record<string, string>>;
  /** Request headers, lower-case names. */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Client IP after trusted-proxy resolution. */
  readonly clientIp: string;

  constructor(method: string, path: string, route: string, params: RequestView['params'], query: RequestView['query'], headers: RequestView['headers'], clientIp: string) {
    this.method = method;
    this.path = path;
    this.route = route;
    this.params = params;
    this.query = query;
    this.headers = headers;
    this.clientIp = clientIp;
  }
}

/** The variables a condition is evaluated with (only those it reads need be present). */
export interface ConditionVariables {
  user?: Readonly<Record<string, unknown>>;
  resource?: Readonly<Record<string, unknown>>;
  request?: RequestView;
  time?: TimeOfRequest;
}

/** What a condition reads. */
export interface ConditionUses {
  readonly user: boolean;
  readonly resource: boolean;
  readonly request: boolean;
  /** request.query, or `request` as a whole. */
  readonly query: boolean;
  readonly time: boolean;
}

/** A condition compiled once at load. */
export interface CompiledCondition {
  /** Evaluates; throws the library's EvaluationError (missing key, no such overload …). */
  readonly evaluate: (variables: ConditionVariables) => unknown;
  /** What it reads. */
  readonly uses: ConditionUses;
}

const ENVIRONMENT = new Environment({ limits: { maxAstNodes: 2000, maxDepth: 32, maxListElements: 1000, maxMapEntries: 1000, maxCallArguments: 32 } })
  .registerType('portcullis.Time', {
    ctor: TimeOfRequest,
    fields: { now: 'google.protobuf.Timestamp', hour: 'int', minute: 'int', dayOfWeek: 'int', date: 'string', businessHours: 'bool' },
  })
  .registerType('portcullis.Request', {
    ctor: RequestView,
    fields: { method: 'string', path: 'string', route: 'string', params: 'map<string, string>', query: 'map<string, string>', headers: 'map<string, string>', clientIp: 'string' },
  })
  .registerVariable('user', 'map<string, dyn>', { description: 'The principal: id, kind, roles, scopes, method, attributes, and each attribute as a field.' })
  .registerVariable('resource', 'map<string, dyn>', { description: 'The resource: path parameters, static attributes, lookup results.' })
  .registerVariable('request', 'portcullis.Request', { description: 'The request.' })
  .registerVariable('time', 'portcullis.Time', { description: 'The request time in the configured time zone.' });

/**
 * Parses and type-checks a condition. Throws ConfigError at `['condition']` with the library's
 * message for a syntax or type error, for a result that cannot be a bool, and for `matches()`.
 *
 * @example
 * ```ts
 * const c = compileCondition('user.department == resource.department');
 * c.evaluate({ user: { department: 'sales' }, resource: { department: 'sales' } }) // true
 * ```
 */
export function compileCondition(source: string): CompiledCondition {
  let parsed: ReturnType<typeof ENVIRONMENT.parse>;
  try {
    parsed = ENVIRONMENT.parse(source);
  } catch (error) {
    throw configError(['condition'], `is not valid CEL: ${messageOf(error)}`);
  }
  const checked = parsed.check();
  if (!checked.valid) throw configError(['condition'], `is not valid CEL: ${messageOf(checked.error)}`);
  if (checked.type !== 'bool' && checked.type !== 'dyn') {
    throw configError(['condition'], `must be a bool expression; this one is of type ${checked.type ?? 'unknown'}`);
  }
  const uses = analyse(parsed.ast);
  const evaluate = (variables: ConditionVariables): unknown => parsed(variables) as unknown;
  return { evaluate, uses };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Walks the AST: which variables it reads, and whether it calls matches(). */
function analyse(ast: ASTNode): ConditionUses {
  const uses = { user: false, resource: false, request: false, query: false, time: false };
  let matches = false;
  const visit = (node: ASTNode, parent: ASTNode | undefined): void => {
    if (node.op === 'id') {
      const name = node.args;
      if (name === 'user' || name === 'resource' || name === 'time') uses[name] = true;
      if (name === 'request') {
        uses.request = true;
        const field = fieldOf(parent, node);
        if (field === undefined || field === 'query') uses.query = true;
      }
      return;
    }
    if ((node.op === 'call' || node.op === 'rcall') && node.args[0] === 'matches') matches = true;
    visitAll(node.args, node);
  };
  const visitAll = (value: unknown, parent: ASTNode): void => {
    if (Array.isArray(value)) for (const v of value) visitAll(v, parent);
    else if (isNode(value)) visit(value, parent);
  };
  visit(ast, undefined);
  if (matches) {
    throw new ConfigError([{
      path: ['condition'],
      message: 'matches() is not available in conditions: its regular expression would run on a backtracking engine over request data (ReDoS); use startsWith, endsWith, contains, in or ==',
      severity: 'error',
    }]);
  }
  return uses;
}

/** The field `parent` selects from `node` (`request.query` → 'query'); undefined when `node` is used whole. */
function fieldOf(parent: ASTNode | undefined, node: ASTNode): string | undefined {
  if (parent === undefined) return undefined;
  if ((parent.op === '.' || parent.op === '.?') && parent.args[0] === node) return parent.args[1];
  if ((parent.op === '[]' || parent.op === '[?]') && parent.args[0] === node) {
    const key = parent.args[1];
    return key.op === 'value' && typeof key.args === 'string' ? key.args : undefined;
  }
  return undefined;
}

function isNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}
