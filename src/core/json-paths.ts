/**
 * JSON property paths (`passwordHash`, `owner.passwordHash`, `items[].secret`), shared by the
 * property-level and transform policies, parsed once, at compile,
 * into a small tree of property names; a request or response is then walked along that tree only,
 * with no string splitting per request.
 *
 * Arrays are traversed wherever they occur: a rule for `secret` applies to every element of a
 * top-level array, and `items.secret` and `items[].secret` mean the same (the `[]` is documentation
 * for the reader). Nested arrays are followed up to {@link MAX_ARRAY_NESTING} levels; deeper ones
 * make the walk report failure, so a caller fails closed instead of missing a property.
 */

/** A node of the tree: a leaf (the rule for this property) or inner node (rules below it). */
export interface PathNode<L> {
  /** Rules below this property, by name (lower case in a case-insensitive tree). */
  readonly children: ReadonlyMap<string, PathNode<L>>;
  /** The rule for this property itself; when set, nothing below it is visited. */
  readonly leaf: L | undefined;
}

/** A compiled tree and how its names are matched. */
export interface PathTree<L> {
  /** The root (the JSON value itself, or each element of a top-level array). */
  readonly root: PathNode<L>;
  /** Property names are matched without regard to case. */
  readonly caseInsensitive: boolean;
  /** True when the tree has no rules (walks are skipped). */
  readonly empty: boolean;
}

/** Deepest nesting of arrays a walk follows. */
export const MAX_ARRAY_NESTING = 32;

/** JSON Schema pattern of a property path (what {@link parsePropertyPath} accepts). */
export const PROPERTY_PATH_PATTERN = '^[^.\\[\\]\\s]+(?:\\[\\])*(?:\\.[^.\\[\\]\\s]+(?:\\[\\])*)*$';

const SEGMENT = /^([^.[\]\s]+)((?:\[\])*)$/;

/**
 * Splits a property path into names (`items[].secret` → ['items', 'secret']); undefined when it
 * is malformed (empty segments, stray brackets, spaces).
 *
 * @example
 * ```ts
 * parsePropertyPath('owner.passwordHash') // ['owner', 'passwordHash']
 * parsePropertyPath('a..b')               // undefined
 * ```
 */
export function parsePropertyPath(path: string): readonly string[] | undefined {
  if (path === '') return undefined;
  const names: string[] = [];
  for (const segment of path.split('.')) {
    const match = SEGMENT.exec(segment);
    if (match === null) return undefined;
    names.push(match[1]!);
  }
  return names;
}

interface MutableNode<L> {
  children: Map<string, MutableNode<L>>;
  leaf: L | undefined;
}

/**
 * Builds the tree of a list of (path, rule) pairs. A rule on a property covers everything below
 * it (`owner` removes `owner.passwordHash` with the rest). The first rule given for a path wins.
 * Throws TypeError naming a malformed path (the schema has refused those already).
 *
 * @example
 * ```ts
 * const tree = buildPathTree([['passwordHash', 'remove'], ['items[].secret', 'remove']]);
 * ```
 */
export function buildPathTree<L>(entries: ReadonlyArray<readonly [path: string, leaf: L]>, options: { readonly caseInsensitive?: boolean } = {}): PathTree<L> {
  const caseInsensitive = options.caseInsensitive === true;
  const root: MutableNode<L> = { children: new Map(), leaf: undefined };
  for (const [path, leaf] of entries) {
    const names = parsePropertyPath(path);
    if (names === undefined) throw new TypeError(`'${path}' is not a property path`);
    let node = root;
    for (const raw of names) {
      const name = caseInsensitive ? raw.toLowerCase() : raw;
      let child = node.children.get(name);
      if (child === undefined) node.children.set(name, (child = { children: new Map(), leaf: undefined }));
      node = child;
    }
    node.leaf ??= leaf;
  }
  return Object.freeze({ root: freeze(root), caseInsensitive, empty: root.children.size === 0 });
}

function freeze<L>(node: MutableNode<L>): PathNode<L> {
  for (const child of node.children.values()) freeze(child);
  return Object.freeze(node);
}

/** Where a visited property is: its parent object, its key as sent, and the trail to it. */
export type PathVisitor<L> = (parent: Record<string, unknown>, key: string, leaf: L, trail: ReadonlyArray<string | number>) => void;

/**
 * Calls `visit` for every property of `value` a rule of `tree` names. The visitor may delete or
 * replace that property. Returns false when arrays are nested deeper than
 * {@link MAX_ARRAY_NESTING} on the way (the walk stopped: treat the value as unchecked).
 *
 * @example
 * ```ts
 * walkPaths(tree, body, (parent, key) => { delete parent[key]; });
 * ```
 */
export function walkPaths<L>(tree: PathTree<L>, value: unknown, visit: PathVisitor<L>): boolean {
  if (tree.empty) return true;
  const trail: Array<string | number> = [];
  const { caseInsensitive } = tree;

  const step = (child: PathNode<L>, object: Record<string, unknown>, key: string, depth: number): boolean => {
    trail.push(key);
    let ok = true;
    if (child.leaf !== undefined) visit(object, key, child.leaf, trail);
    else ok = walk(child, object[key], depth);
    trail.pop();
    return ok;
  };

  const walk = (node: PathNode<L>, current: unknown, depth: number): boolean => {
    if (typeof current !== 'object' || current === null) return true;
    if (Array.isArray(current)) {
      if (depth >= MAX_ARRAY_NESTING) return false;
      for (let i = 0; i < current.length; i++) {
        trail.push(i);
        const ok = walk(node, current[i], depth + 1);
        trail.pop();
        if (!ok) return false;
      }
      return true;
    }
    const object = current as Record<string, unknown>;
    if (caseInsensitive) {
      // Every key the client sent, so `OwnerId` and `OWNERID` are found too.
      for (const key of Object.keys(object)) {
        const child = node.children.get(key.toLowerCase());
        if (child !== undefined && !step(child, object, key, depth)) return false;
      }
    } else {
      for (const [key, child] of node.children) {
        if (Object.hasOwn(object, key) && !step(child, object, key, depth)) return false;
      }
    }
    return true;
  };

  return walk(tree.root, value, 0);
}

/**
 * The RFC 6901 JSON pointer of a trail.
 *
 * @example
 * ```ts
 * jsonPointer(['items', 0, 'a/b']) // '/items/0/a~1b'
 * ```
 */
export function jsonPointer(trail: ReadonlyArray<string | number>): string {
  let out = '';
  for (const t of trail) out += `/${typeof t === 'number' ? String(t) : t.replaceAll('~', '~0').replaceAll('/', '~1')}`;
  return out;
}
