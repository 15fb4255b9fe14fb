/**
 * Config of the ip-filter policy: allow and deny lists of IPv4/IPv6 addresses and CIDR ranges,
 * inline or in list files. `{}` is a complete config that lets every client through.
 */
import { Type, type Static } from '@sinclair/typebox';
import { ipOrCidr, strictObject } from '../../core/schema-types.js';

/** Most entries of one inline list; a longer list belongs in a file. */
export const MAX_INLINE_ENTRIES = 10_000;

/** Most entries of one list file. */
export const MAX_FILE_ENTRIES = 100_000;

const listFile = (description: string) => Type.Optional(Type.String({ description, minLength: 1, maxLength: 4096 }));

/**
 * The schema of the policy's config.
 *
 * @example
 * ```ts
 * const validate = new Ajv({ useDefaults: true }).compile(IpFilterSchema);
 * const config = { deny: ['203.0.113.0/24'] };
 * validate(config); // true; config.allow is now []
 * ```
 */
export const IpFilterSchema = strictObject({
  allow: Type.Array(ipOrCidr({ description: 'An IPv4 or IPv6 address or CIDR range (`10.0.0.0/8`, `2001:db8::/32`, `::ffff:10.0.0.0/104`).' }), {
    description: 'When this list or allowFile has entries, only clients whose address is in one of them pass; others get 403. IPv4-mapped IPv6 addresses and ranges count as the IPv4 ones they carry. Empty (and no allowFile): every client not denied passes.',
    default: [],
    maxItems: MAX_INLINE_ENTRIES,
  }),
  deny: Type.Array(ipOrCidr({ description: 'An IPv4 or IPv6 address or CIDR range.' }), {
    description: 'Clients whose address is in this list or in denyFile always get 403, even when the allow list contains them.',
    default: [],
    maxItems: MAX_INLINE_ENTRIES,
  }),
  allowFile: listFile('A text file (relative to the config file) with more allow entries: one address or CIDR per line, `#` starts a comment. Read whenever the config is loaded or reloaded. When set, the allow list is in force even if the file is empty (every client is then refused).'),
  denyFile: listFile('A text file (relative to the config file) with more deny entries, in the format of allowFile. Read whenever the config is loaded or reloaded.'),
}, { description: 'Runs before every other policy; deny wins over allow, and both refuse with 403. A route\'s own ip-filter replaces the defaults\' one as a whole (lists are not merged: repeat a shared denyFile on such a route); `ip-filter: false` turns it off for a route.' });

/**
 * The policy's config, as compile() receives it (defaults filled in).
 *
 * @example
 * ```ts
 * const config: IpFilterConfig = { allow: ['10.0.0.0/8'], deny: [], denyFile: 'blocked.txt' };
 * ```
 */
export type IpFilterConfig = Static<typeof IpFilterSchema>;
