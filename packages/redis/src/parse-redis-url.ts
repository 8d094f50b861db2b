/** Where and how to connect, parsed from one `REDIS_URL`. */
export type RedisTarget =
  | {
      mode: 'standalone';
      host: string;
      port: number;
      db: number;
      tls: boolean;
      username?: string;
      password?: string;
    }
  | {
      mode: 'sentinel';
      sentinels: { host: string; port: number }[];
      masterName: string;
      db: number;
      tls: boolean;
      username?: string;
      password?: string;
    }
  | {
      mode: 'cluster';
      nodes: { host: string; port: number }[];
      tls: boolean;
      username?: string;
      password?: string;
    };

function hosts(list: string, defaultPort: number): { host: string; port: number }[] {
  return list.split(',').map((entry) => {
    const m = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(entry.trim());
    if (!m?.[1])
      throw new Error('REDIS_URL: each host must be host or host:port with a numeric port');
    return { host: m[1].replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : defaultPort };
  });
}

/**
 * Parses `redis://`, `rediss://`, `redis+sentinel://h1:26379,h2:26379/<master>[/<db>]` and
 * `redis+cluster://h1:6379,h2:6379`. Credentials come from the userinfo part; `?tls=true` turns
 * on TLS for sentinel and cluster URLs. Errors never echo the URL (it may hold a password).
 */
export function parseRedisUrl(url: string): RedisTarget {
  const m =
    /^(redis|rediss|redis\+sentinel|redis\+cluster):\/\/(?:([^@/]*)@)?([^/?]+)(\/[^?]*)?(\?.*)?$/.exec(
      url,
    );
  if (!m) {
    throw new Error(
      'REDIS_URL must look like redis://host:port, rediss://host:port, redis+sentinel://host:port,host:port/master or redis+cluster://host:port,host:port',
    );
  }
  const [, scheme, userinfo, hostPart = '', path = '', query = ''] = m;
  let username: string | undefined;
  let password: string | undefined;
  if (userinfo) {
    const idx = userinfo.indexOf(':');
    if (idx === -1) username = decodeURIComponent(userinfo);
    else {
      username = decodeURIComponent(userinfo.slice(0, idx)) || undefined;
      password = decodeURIComponent(userinfo.slice(idx + 1));
    }
  }
  const params = new URLSearchParams(query.replace(/^\?/, ''));
  const tlsParam = params.get('tls') === 'true' || params.get('tls') === '1';
  const creds = { ...(username ? { username } : {}), ...(password ? { password } : {}) };
  const segments = path.split('/').filter(Boolean);
  const parseDb = (raw: string | undefined): number => {
    if (raw === undefined) return 0;
    if (!/^\d+$/.test(raw)) throw new Error('REDIS_URL: the database must be a number');
    return Number(raw);
  };

  if (scheme === 'redis+sentinel') {
    const masterName = segments[0];
    if (!masterName) throw new Error('REDIS_URL: a sentinel URL needs the master name as its path');
    return {
      mode: 'sentinel',
      sentinels: hosts(hostPart, 26379),
      masterName,
      db: parseDb(segments[1]),
      tls: tlsParam,
      ...creds,
    };
  }
  if (scheme === 'redis+cluster') {
    return { mode: 'cluster', nodes: hosts(hostPart, 6379), tls: tlsParam, ...creds };
  }
  const [first, ...rest] = hosts(hostPart, 6379);
  if (!first || rest.length > 0) {
    throw new Error(
      'REDIS_URL: a redis:// URL takes one host; use redis+cluster:// or redis+sentinel:// for several',
    );
  }
  return {
    mode: 'standalone',
    host: first.host,
    port: first.port,
    db: parseDb(segments[0]),
    tls: scheme === 'rediss' || tlsParam,
    ...creds,
  };
}
