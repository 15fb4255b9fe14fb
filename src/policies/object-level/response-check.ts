/**
 * The response check: the upstream's JSON answer to a read, inspected before anything of it is
 * sent. One object of another owner is refused; a list keeps only the caller's items (or is
 * refused whole). Whatever cannot be read is refused: the check fails closed.
 */
import type { ResponseBody } from '../../core/policy.js';
import { dottedPath, owns, valueAt, type DottedPath } from './owner.js';
import type { ResponseCheckConfig } from './schema.js';

/** What the check concluded about one response. */
export type ResponseVerdict =
  /** Status not inspected (3xx, 4xx but 404/410, 5xx): passed unchanged. */
  | { readonly kind: 'pass' }
  /** One object, owned by the caller. */
  | { readonly kind: 'owned' }
  /** A list; `removed` items of others were dropped (0: all were the caller's). */
  | { readonly kind: 'list'; readonly removed: number; readonly total: number }
  /** Refused: not the caller's (or the upstream said 404/410). */
  | { readonly kind: 'deny'; readonly reason: string }
  /** Refused: the response cannot be checked (not JSON, no list where one was expected). */
  | { readonly kind: 'unverifiable'; readonly reason: string };

const PASS: ResponseVerdict = Object.freeze({ kind: 'pass' });
const OWNED: ResponseVerdict = Object.freeze({ kind: 'owned' });
const NOT_OWNER: ResponseVerdict = Object.freeze({ kind: 'deny', reason: 'not_owner' });
const LIST_HAS_OTHERS: ResponseVerdict = Object.freeze({ kind: 'deny', reason: 'list_has_items_of_others' });
const NOT_JSON: ResponseVerdict = Object.freeze({ kind: 'unverifiable', reason: 'response_not_json' });
const NO_LIST: ResponseVerdict = Object.freeze({ kind: 'unverifiable', reason: 'response_list_missing' });

/** A compiled response check. */
export interface ResponseCheck {
  /** Inspects (and, for a filtered list, edits) `body` for a caller identified by `identity`. */
  check(identity: string, status: number, body: ResponseBody): ResponseVerdict;
}

/**
 * Compiles the check.
 *
 * @example
 * ```ts
 * const check = compileResponseCheck({ ownerField: 'ownerId', owner: 'user.id', listPath: 'tasks', onList: 'filter' });
 * check.check('alice', 200, body) // { kind: 'list', removed: 2, total: 3 }, body.value edited
 * ```
 */
export function compileResponseCheck(config: Pick<ResponseCheckConfig, 'ownerField' | 'listPath' | 'onList'>): ResponseCheck {
  const ownerField: DottedPath = dottedPath(config.ownerField);
  const listPath: DottedPath | undefined = config.listPath === undefined ? undefined : dottedPath(config.listPath);
  const filter = config.onList === 'filter';

  const checkList = (identity: string, items: unknown[], body: ResponseBody): ResponseVerdict => {
    const total = items.length;
    let kept = 0;
    for (let i = 0; i < total; i++) {
      const item = items[i];
      if (owns(identity, valueAt(item, ownerField))) {
        if (kept !== i) items[kept] = item;
        kept++;
      } else if (!filter) {
        return LIST_HAS_OTHERS;
      }
    }
    if (kept !== total) {
      items.length = kept;
      body.changed = true;
    }
    return { kind: 'list', removed: total - kept, total };
  };

  return {
    check(identity, status, body) {
      // A 404 of the upstream looks exactly like another's object: existence is never confirmed.
      if (status === 404 || status === 410) return { kind: 'deny', reason: `upstream_status: ${status}` };
      if (status < 200 || status > 299) return PASS;
      if (!body.isJson) return NOT_JSON;
      const value = body.value;
      if (listPath !== undefined) {
        const items = valueAt(value, listPath);
        return Array.isArray(items) ? checkList(identity, items, body) : NO_LIST;
      }
      if (Array.isArray(value)) return checkList(identity, value, body);
      return owns(identity, valueAt(value, ownerField)) ? OWNED : NOT_OWNER;
    },
  };
}
