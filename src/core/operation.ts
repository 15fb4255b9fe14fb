/**
 * One operation of an OpenAPI document, as the config compiler hands it to the policies of the
 * route it generated (CompileEnv.operation). Plain data: every `$ref` already resolved (a schema
 * that refers to itself keeps a `$ref` into `components`, carried in `components`), so a policy
 * never reads files or follows references.
 */

/** HTTP methods an OpenAPI path item may hold (lower case, as in the document). */
export const OPERATION_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** One of {@link OPERATION_METHODS}. */
export type OperationMethod = (typeof OPERATION_METHODS)[number];

/** A parameter (path, query, header or cookie), with path-item parameters already merged in. */
export interface OperationParameter {
  /** Parameter name as sent (header names as written in the document). */
  readonly name: string;
  /** Where it is sent. */
  readonly in: 'path' | 'query' | 'header' | 'cookie';
  /** Whether it must be present (always true for path parameters). */
  readonly required: boolean;
  /** Serialisation style (OpenAPI defaults filled in: form for query/cookie, simple for path/header). */
  readonly style: 'form' | 'simple' | 'label' | 'matrix' | 'spaceDelimited' | 'pipeDelimited' | 'deepObject';
  /** Whether arrays/objects are exploded (default true for form, false otherwise). */
  readonly explode: boolean;
  /** Whether reserved characters may appear unencoded (query only). */
  readonly allowReserved: boolean;
  /** The parameter's schema (OpenAPI Schema Object; 3.0 dialect when the document is 3.0). */
  readonly schema: Readonly<Record<string, unknown>> | undefined;
  /** Whether the document marks it deprecated. */
  readonly deprecated: boolean;
  /**
   * Set when the parameter is described with `content` instead of `schema` (a JSON-encoded query
   * value, say): its one media type; `schema` then applies to the value decoded from it.
   */
  readonly mediaType?: string;
}

/** A media type entry of a request body or response (`application/json` → schema). */
export interface OperationMedia {
  /** The media range as written (`application/json`, `application/*+json`, `text/*`). */
  readonly mediaType: string;
  /** Its schema, if the document gives one. */
  readonly schema: Readonly<Record<string, unknown>> | undefined;
}

/** An operation's request body. */
export interface OperationRequestBody {
  /** Whether a body is required. */
  readonly required: boolean;
  /** Accepted media types, in document order. */
  readonly content: readonly OperationMedia[];
}

/** One documented response. */
export interface OperationResponse {
  /** `200`, `2XX` or `default`, as written. */
  readonly status: string;
  /** Media types the response may have (empty: no body). */
  readonly content: readonly OperationMedia[];
}

/** One operation (method + path) of the document. */
export interface ApiOperation {
  /** Lower-case method. */
  readonly method: OperationMethod;
  /** Path template as written in the document (`/api/v1/tasks/{taskId}`), server base path not included. */
  readonly path: string;
  /** operationId, when given. */
  readonly operationId: string | undefined;
  /** Tags, in document order. */
  readonly tags: readonly string[];
  /** One-line summary, for `inventory`. */
  readonly summary: string | undefined;
  /** Marked deprecated. */
  readonly deprecated: boolean;
  /** `x-deprecated-at` (RFC 3339 date or date-time), when given. */
  readonly deprecatedAt: string | undefined;
  /** `x-sunset` (RFC 3339 date or date-time), when given. */
  readonly sunset: string | undefined;
  /** Parameters, path-item ones merged (the operation's win by name + in). */
  readonly parameters: readonly OperationParameter[];
  /** The request body, when the operation takes one. */
  readonly requestBody: OperationRequestBody | undefined;
  /** Documented responses, in document order. */
  readonly responses: readonly OperationResponse[];
  /** Whether the document declares security requirements for it (effective, after the root default); [] = explicitly none. */
  readonly security: ReadonlyArray<Readonly<Record<string, readonly string[]>>> | undefined;
  /** `3.0` or `3.1`: the schema dialect (3.0: OpenAPI's JSON Schema subset with `nullable`). */
  readonly dialect: '3.0' | '3.1';
  /** Schemas under components/schemas, for `$ref`s kept inside recursive schemas (`#/components/schemas/Node`). */
  readonly components: Readonly<Record<string, unknown>>;
  /** Where the operation is in the document, as a JSON pointer (`/paths/~1api~1v1~1tasks/post`), for messages. */
  readonly pointer: string;
}
