/**
 * The SQL word table of the SQL-injection detector: keywords, operators spelled as words, types
 * and functions of MySQL, PostgreSQL, MSSQL, Oracle and SQLite, and the two-word phrases the
 * folder merges (`UNION ALL`, `ORDER BY`, `WAITFOR DELAY` …). Built once at load into an
 * open-addressing hash table looked up case-insensitively straight from the examined value, so a
 * lookup allocates nothing.
 */
import { T } from './sqli-tokens.js';

/**
 * Entry flags of the keyword table.
 *
 * @example
 * ```ts
 * hasFlag(kw('PG_SLEEP'), F.time); // true
 * ```
 */
export const F = {
  /** A time-delay primitive (SLEEP, BENCHMARK, PG_SLEEP, WAITFOR DELAY …). */
  time: 1,
  /** A statement head that can follow `;` in a stacked query. */
  head: 2,
  /** An object kind named after CREATE/DROP/ALTER (TABLE, DATABASE …). */
  object: 4,
  /** A name that is almost only ever seen in attacks (xp_cmdshell, information_schema …). */
  strong: 8,
  /** A function that may be used without parentheses (CURRENT_USER, SYSDATE …). */
  niladic: 16,
  /** The first word of a phrase (ORDER of ORDER BY): set at load. */
  lead: 32,
} as const;

const WORDS: ReadonlyArray<readonly [number, number, string]> = [
  [T.expression, F.head, 'SELECT INSERT UPDATE DELETE DROP CREATE ALTER TRUNCATE EXEC EXECUTE DECLARE SHUTDOWN RENAME CALL MERGE SET'],
  [T.expression, 0, 'CASE VALUES'],
  [T.tsql, F.head, 'WAITFOR GOTO RECONFIGURE DBCC'],
  [T.union, 0, 'UNION EXCEPT INTERSECT MINUS'],
  [T.group, 0, 'HAVING LIMIT'],
  [T.keyword, 0, 'FROM WHERE INTO AS ON JOIN USING WHEN THEN ELSE END DISTINCT DISTINCTROW TOP ESCAPE OFFSET FETCH OUTER INNER CROSS NATURAL STRAIGHT_JOIN ASC DESC IGNORE LOW_PRIORITY HIGH_PRIORITY DELAYED SQL_CALC_FOUND_ROWS SQL_NO_CACHE SQL_CACHE PRIOR ROLLUP NOWAIT RETURNING'],
  [T.keyword, 0, 'OUTFILE DUMPFILE INFILE'],
  [T.keyword, F.object, 'TABLE DATABASE PROCEDURE FUNCTION VIEW INDEX SCHEMA TRIGGER LOGIN TABLESPACE SEQUENCE'],
  [T.operator, 0, 'NOT LIKE RLIKE ILIKE REGEXP IS IN BETWEEN DIV MOD GLOB SIMILAR'],
  [T.logic, 0, 'AND OR XOR'],
  [T.number, 0, 'NULL TRUE FALSE'],
  [T.collate, 0, 'COLLATE'],
  [T.sqltype, 0, 'INT INTEGER BIGINT SMALLINT TINYINT MEDIUMINT DECIMAL NUMERIC FLOAT REAL DOUBLE VARCHAR VARCHAR2 NVARCHAR NVARCHAR2 NCHAR BINARY VARBINARY SIGNED UNSIGNED BOOLEAN BOOL DATETIME TIMESTAMP BLOB CLOB NCLOB TEXT NTEXT OID REGCLASS SYSNAME BYTEA'],
  // Words that mean nothing alone but start or end a phrase (ORDER BY, WAITFOR DELAY).
  [T.bareword, 0, 'BEGIN BY ORDER GROUP DELAY DATA LOAD BULK PARTITION SOUNDS TO BOOLEAN MODE FOR XML PATH APPLY CONNECT START WITH ANALYSE'],
  [T.function, F.object, 'USER'], // USER() and DROP USER
  [T.bareword, F.object, 'COLUMN'],
  [T.expression, F.head, 'USE'], // USE master
  [T.bareword, F.strong, 'INFORMATION_SCHEMA SYSOBJECTS SYSCOLUMNS SYSDATABASES SYSUSERS PG_SHADOW PG_USER PG_DATABASE MSYSACCESSOBJECTS MSYSOBJECTS SQLITE_MASTER SQLITE_SCHEMA DBA_USERS ALL_TABLES ALL_TAB_COLUMNS USER_TABLES V$VERSION SYS.USER$ MASTER..SYSDATABASES MYSQL.USER INFORMATION_SCHEMA.TABLES INFORMATION_SCHEMA.COLUMNS INFORMATION_SCHEMA.SCHEMATA INFORMATION_SCHEMA.PROCESSLIST'],
  [T.function, F.time, 'SLEEP BENCHMARK PG_SLEEP PG_SLEEP_FOR DBMS_LOCK.SLEEP DBMS_PIPE.RECEIVE_MESSAGE SYS.DBMS_PIPE.RECEIVE_MESSAGE DBMS_SESSION.SLEEP RANDOMBLOB GET_LOCK'],
  [T.function, F.strong, 'LOAD_FILE XP_CMDSHELL SP_EXECUTESQL SP_CONFIGURE SP_OACREATE SP_OAMETHOD SP_MAKEWEBTASK SP_PASSWORD SP_ADDLOGIN SP_ADDSRVROLEMEMBER XP_REGREAD XP_DIRTREE XP_FILEEXIST XP_SERVICECONTROL XP_AVAILABLEMEDIA MASTER..XP_CMDSHELL MASTER.DBO.XP_CMDSHELL EXTRACTVALUE UPDATEXML NAME_CONST UTL_INADDR.GET_HOST_ADDRESS UTL_INADDR.GET_HOST_NAME UTL_HTTP.REQUEST CTXSYS.DRITHSX.SN DBMS_XMLGEN.GETXML SYS_CONTEXT PG_READ_FILE PG_LS_DIR LO_IMPORT LO_EXPORT LOAD_EXTENSION OPENROWSET OPENDATASOURCE OPENQUERY IS_SRVROLEMEMBER IS_MEMBER HAS_DBACCESS XMLTYPE SQLITE_VERSION'],
  [T.function, F.niladic, 'CURRENT_USER SESSION_USER SYSTEM_USER CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP LOCALTIME LOCALTIMESTAMP SYSDATE CURRENT_DATABASE CURRENT_SCHEMA UTC_DATE UTC_TIME UTC_TIMESTAMP CURRENT_ROLE'],
  [T.function, 0, [
    'ABS ACOS ADDDATE ADDTIME AES_DECRYPT AES_ENCRYPT ASCII ASCIISTR ASIN ATAN ATAN2 AVG BIN BIT_AND BIT_COUNT BIT_LENGTH BIT_OR BIT_XOR',
    'CAST CEIL CEILING CHAR CHAR_LENGTH CHARACTER_LENGTH CHARINDEX CHARSET CHR COALESCE COERCIBILITY COLLATION COMPRESS CONCAT CONCAT_WS',
    'CONNECTION_ID CONV CONVERT CONVERT_TZ COS COT COUNT CRC32 CURDATE CURTIME CURRENT_SETTING CURRENT_QUERY DATABASE DATALENGTH DATE',
    'DATE_ADD DATE_FORMAT DATE_SUB DATEDIFF DATEADD DATEPART DAY DAYNAME DAYOFMONTH DAYOFWEEK DAYOFYEAR DB_NAME DB_ID DECODE DEGREES',
    'DES_DECRYPT DES_ENCRYPT DUMP ELT ENCODE ENCRYPT EXISTS EXP EXPORT_SET EXTRACT FIELD FIND_IN_SET FLOOR FORMAT FOUND_ROWS FROM_BASE64',
    'FROM_DAYS FROM_UNIXTIME GETDATE GREATEST GROUP_CONCAT GTID_SUBSET HEX HOST_NAME HOUR IF IFNULL IIF INET_ATON INET_NTOA INSTR',
    'ISNULL IS_FREE_LOCK IS_USED_LOCK JSON_EXTRACT JSON_KEYS LAST_INSERT_ID LCASE LEAST LEFT LEN LENGTH LN LOCATE LOG LOG10 LOG2',
    'LOWER LPAD LTRIM MAKE_SET MAKEDATE MASTER_POS_WAIT MAX MD5 MID MIN MINUTE MONTH NOW NULLIF NVL NVL2 OBJECT_ID OBJECT_NAME OCT',
    'OCTET_LENGTH OLD_PASSWORD ORD PASSWORD PERIOD_ADD POSITION POW POWER QUOTE QUOTENAME RADIANS RAND RAWTOHEX RELEASE_LOCK REPEAT',
    'REPLACE REPLICATE REVERSE RIGHT ROUND ROW_COUNT RPAD RTRIM SEC_TO_TIME SECOND SHA SHA1 SHA2 SIGN SIN SOUNDEX SPACE SQRT STD STDDEV',
    'STR STRCMP STR_TO_DATE STRING_AGG SUBDATE SUBSTR SUBSTRING SUBSTRING_INDEX SUM SUSER_NAME SUSER_SNAME TAN TIME TIME_FORMAT',
    'TIMEDIFF TIMESTAMPADD TO_BASE64 TO_CHAR TO_DAYS TO_NUMBER TRANSLATE TRIM TYPEOF UCASE UNCOMPRESS UNHEX UNICODE UNISTR',
    'UNIX_TIMESTAMP UPPER USER_ID USER_NAME UUID VERSION WEEKDAY YEAR ZEROBLOB ROW ARRAY_AGG XMLAGG LISTAGG',
    'JSON_ARRAYAGG JSON_OBJECT MATCH AGAINST CHOOSE PI ANY SOME ALL',
  ].join(' ')],
];

/** Two-word phrases the folder merges: [first, second, resulting type]. */
const PHRASES: ReadonlyArray<readonly [string, string, number, number?]> = [
  ['UNION', 'ALL', T.union], ['UNION', 'DISTINCT', T.union], ['EXCEPT', 'ALL', T.union], ['INTERSECT', 'ALL', T.union],
  ['GROUP', 'BY', T.group], ['ORDER', 'BY', T.group], ['PARTITION', 'BY', T.keyword], ['CONNECT', 'BY', T.group],
  ['PROCEDURE', 'ANALYSE', T.group], ['START', 'WITH', T.keyword], ['WITH', 'ROLLUP', T.keyword],
  ['NOT', 'IN', T.keyword], ['NOT', 'LIKE', T.operator], ['NOT', 'BETWEEN', T.operator], ['NOT', 'REGEXP', T.operator],
  ['NOT', 'RLIKE', T.operator], ['NOT', 'ILIKE', T.operator], ['IS', 'NOT', T.operator], ['SOUNDS', 'LIKE', T.operator],
  ['SIMILAR', 'TO', T.operator], ['AND', 'NOT', T.logic], ['OR', 'NOT', T.logic],
  ['INTO', 'OUTFILE', T.keyword], ['INTO', 'DUMPFILE', T.keyword], ['LOAD', 'DATA', T.expression], ['BULK', 'INSERT', T.expression],
  ['INSERT', 'INTO', T.expression], ['REPLACE', 'INTO', T.expression], ['DELETE', 'FROM', T.expression],
  ['SELECT', 'ALL', T.expression], ['SELECT', 'DISTINCT', T.expression], ['SELECT', 'TOP', T.expression],
  ['WAITFOR', 'DELAY', T.tsql, F.time], ['WAITFOR', 'TIME', T.tsql, F.time], ['IN', 'BOOLEAN', T.keyword], ['BOOLEAN', 'MODE', T.keyword],
  ['LEFT', 'JOIN', T.keyword], ['RIGHT', 'JOIN', T.keyword], ['INNER', 'JOIN', T.keyword], ['CROSS', 'JOIN', T.keyword],
  ['OUTER', 'JOIN', T.keyword], ['NATURAL', 'JOIN', T.keyword], ['LEFT', 'OUTER', T.keyword], ['RIGHT', 'OUTER', T.keyword],
  ['CROSS', 'APPLY', T.keyword], ['OUTER', 'APPLY', T.keyword], ['FOR', 'XML', T.keyword], ['FOR', 'UPDATE', T.keyword],
];

const SIZE = 2048; // a power of two, over twice the number of entries
const slots = new Int16Array(SIZE).fill(-1);
// Bitmap of (length, first letter, last letter) of the entries: most words are ruled out without hashing.
const MAX_LEN = 40;
const shapes = new Uint8Array((MAX_LEN + 1) * 32 * 32);
const shapeOf = (s: string, start: number, end: number): number =>
  ((end - start) * 32 + (s.charCodeAt(start) & 31)) * 32 + (s.charCodeAt(end - 1) & 31);
const names: string[] = [];
const types: number[] = [];
const flags: number[] = [];
const phrases = new Map<number, number>();

function hashOf(s: string, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let i = start; i < end; i++) {
    let c = s.charCodeAt(i);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    h = Math.imul(h ^ c, 0x01000193);
  }
  return h >>> 0;
}

function add(name: string, type: number, flag: number): number {
  const existing = lookupWord(name, 0, name.length);
  if (existing !== -1) return existing;
  const id = names.length;
  names.push(name);
  types.push(type);
  flags.push(flag);
  let i = hashOf(name, 0, name.length) & (SIZE - 1);
  while (slots[i] !== -1) i = (i + 1) & (SIZE - 1);
  slots[i] = id;
  shapes[shapeOf(name, 0, name.length)] = 1;
  return id;
}

/**
 * The entry id of the word `s[start..end)` (ASCII case-insensitive), or -1.
 *
 * @example
 * ```ts
 * keywordType(lookupWord('union', 0, 5)) === T.union; // true
 * ```
 */
export function lookupWord(s: string, start: number, end: number): number {
  const len = end - start;
  if (len <= 0 || len > MAX_LEN || shapes[shapeOf(s, start, end)] === 0) return -1;
  let i = hashOf(s, start, end) & (SIZE - 1);
  for (let probes = 0; probes < SIZE; probes++) {
    const id = slots[i] ?? -1;
    if (id === -1) return -1;
    const name = names[id] ?? '';
    if (name.length === len && sameWord(name, s, start)) return id;
    i = (i + 1) & (SIZE - 1);
  }
  return -1;
}

function sameWord(upper: string, s: string, start: number): boolean {
  for (let j = 0; j < upper.length; j++) {
    let c = s.charCodeAt(start + j);
    if (c >= 0x61 && c <= 0x7a) c -= 0x20;
    if (c !== upper.charCodeAt(j)) return false;
  }
  return true;
}

/**
 * The type (one of T) of a table entry.
 *
 * @example
 * ```ts
 * keywordType(kw('SELECT')) === T.expression; // true
 * ```
 */
export function keywordType(id: number): number {
  return types[id] ?? T.bareword;
}

/**
 * Whether a table entry has a flag of {@link F}.
 *
 * @example
 * ```ts
 * hasFlag(kw('SLEEP'), F.time); // true
 * ```
 */
export function hasFlag(id: number, flag: number): boolean {
  return id >= 0 && ((flags[id] ?? 0) & flag) !== 0;
}

/**
 * The entry id of the phrase made of two entries (`UNION` + `ALL`), or -1.
 *
 * @example
 * ```ts
 * keywordType(mergePhrase(kw('ORDER'), kw('BY'))) === T.group; // true
 * ```
 */
export function mergePhrase(first: number, second: number): number {
  if (first < 0 || second < 0) return -1;
  return phrases.get(first * 4096 + second) ?? -1;
}

/**
 * The entry id of an upper-case word or phrase of the table; throws when it is missing (used
 * at load for the few entries the rules name).
 *
 * @example
 * ```ts
 * const NOT = kw('NOT');
 * ```
 */
export function kw(name: string): number {
  const id = lookupWord(name, 0, name.length);
  if (id === -1) throw new Error(`sqli keyword table has no ${name}`);
  return id;
}

for (const [type, flag, list] of WORDS) for (const w of list.split(' ')) add(w, type, flag);
for (const [a, b, type, flag] of PHRASES) {
  const id = add(`${a} ${b}`, type, flag ?? 0);
  phrases.set(kw(a) * 4096 + kw(b), id);
  flags[kw(a)] = (flags[kw(a)] ?? 0) | F.lead;
}
