/**
 * The demo identity provider's storage: sessions, interactions, codes, grants and opaque tokens in
 * memory, one store per identity provider (oidc-provider's own memory adapter shares one store per
 * process), every entry with its expiry, the whole bounded so a flood cannot exhaust memory.
 */
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';

interface Entry {
  payload: AdapterPayload;
  /** Epoch ms; Infinity when the model has no expiry. */
  expiresAt: number;
}

/** Models whose entries belong to a grant and go when it is revoked. */
const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode', 'BackchannelAuthenticationRequest']);

/**
 * Creates a store and returns the adapter factory over it for the provider's `adapter` option.
 * Several providers built with the same factory (key rotation rebuilds the provider) share data.
 *
 * @example
 * ```ts
 * new Provider(issuer, { adapter: createMemoryStore() });
 * ```
 */
export function createMemoryStore(maxEntries = 50_000): AdapterFactory {
  const entries = new Map<string, Entry>();
  const byGrant = new Map<string, Set<string>>();
  const byUid = new Map<string, string>();

  const get = (key: string): AdapterPayload | undefined => {
    const entry = entries.get(key);
    if (entry === undefined) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };

  const set = (key: string, payload: AdapterPayload, expiresIn: number | undefined) => {
    entries.delete(key);
    if (entries.size >= maxEntries) {
      // Oldest first: Map keeps insertion order.
      const oldest = entries.keys().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.set(key, { payload, expiresAt: expiresIn === undefined ? Number.POSITIVE_INFINITY : Date.now() + expiresIn * 1000 });
    // The indexes only point into entries: drop what points at nothing once they grow as large.
    if (byGrant.size > maxEntries) {
      for (const [grantId, members] of byGrant) {
        for (const member of members) if (!entries.has(member)) members.delete(member);
        if (members.size === 0) byGrant.delete(grantId);
      }
    }
    if (byUid.size > maxEntries) {
      for (const [uid, id] of byUid) if (!entries.has(`Session:${id}`)) byUid.delete(uid);
    }
  };

  return (model: string): Adapter => {
    const keyOf = (id: string) => `${model}:${id}`;
    return {
      upsert(id, payload, expiresIn) {
        const key = keyOf(id);
        set(key, payload, expiresIn);
        if (model === 'Session' && payload.uid !== undefined) byUid.set(payload.uid, id);
        if (GRANTABLE.has(model) && payload.grantId !== undefined) {
          let members = byGrant.get(payload.grantId);
          if (members === undefined) byGrant.set(payload.grantId, (members = new Set()));
          members.add(key);
        }
        return Promise.resolve();
      },
      find(id) {
        return Promise.resolve(get(keyOf(id)));
      },
      findByUid(uid) {
        const id = byUid.get(uid);
        return Promise.resolve(id === undefined ? undefined : get(keyOf(id)));
      },
      findByUserCode() {
        return Promise.resolve(undefined);
      },
      consume(id) {
        const payload = get(keyOf(id));
        if (payload !== undefined) payload.consumed = Math.floor(Date.now() / 1000);
        return Promise.resolve();
      },
      destroy(id) {
        const key = keyOf(id);
        const payload = get(key);
        entries.delete(key);
        if (payload?.uid !== undefined && byUid.get(payload.uid) === id) byUid.delete(payload.uid);
        return Promise.resolve();
      },
      revokeByGrantId(grantId) {
        for (const key of byGrant.get(grantId) ?? []) entries.delete(key);
        byGrant.delete(grantId);
        return Promise.resolve();
      },
    };
  };
}
