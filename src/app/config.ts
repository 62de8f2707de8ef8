import { z } from 'zod';
import type { NameDefaults } from '../domain/model.ts';

/** The effective configuration, typed. Built only by loadConfig. */
export interface Config {
  readonly trino: {
    readonly host: string;
    readonly port: number;
    readonly scheme: 'http' | 'https';
    readonly user: string;
    readonly password?: string | undefined;
    readonly verifyCertificates: boolean;
    readonly server: string;
  };
  readonly defaults: NameDefaults;
  readonly allowWriteQueries: boolean;
  readonly queryTimeoutMs: number;
  readonly maxRows: number;
  readonly transport: 'stdio';
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; errors: string[] };

const bool = (name: string) =>
  z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), {
      message: `${name} must be true or false`,
    })
    .transform((v) => v === 'true' || v === '1' || v === 'yes');

const positiveInt = (name: string, max: number) =>
  z
    .string()
    .trim()
    .refine((v) => /^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= max, {
      message: `${name} must be a whole number from 1 to ${max}`,
    })
    .transform(Number);

const nonEmpty = (name: string) => z.string().trim().min(1, { message: `${name} must not be empty` });

/** `::1`, `fe80::1`, `[::1]`: a colon in a host is only valid in an IPv6 address. */
function isIpv6(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return /^[0-9a-f:.]+$/i.test(bare) && (bare.match(/:/g)?.length ?? 0) >= 2;
}

const schema = z.object({
  TRINO_HOST: nonEmpty('TRINO_HOST')
    .refine((v) => !/[\s/]/.test(v) && (!v.includes(':') || isIpv6(v)), {
      message: 'TRINO_HOST must be a host name or address without scheme, port or path (the port goes in TRINO_PORT)',
    })
    .default('localhost'),
  TRINO_PORT: positiveInt('TRINO_PORT', 65535).default(8080),
  TRINO_USER: nonEmpty('TRINO_USER').default('trino'),
  TRINO_PASSWORD: z.string().optional(),
  TRINO_CATALOG: nonEmpty('TRINO_CATALOG').default('memory'),
  TRINO_SCHEMA: nonEmpty('TRINO_SCHEMA').default('default'),
  TRINO_SCHEME: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === 'http' || v === 'https', { message: 'TRINO_SCHEME must be http or https' })
    .transform((v) => v as 'http' | 'https')
    .optional(),
  TRINO_SSL: bool('TRINO_SSL').default(true),
  TRINO_SSL_INSECURE: bool('TRINO_SSL_INSECURE').default(false),
  TRINO_ALLOW_WRITE_QUERIES: bool('TRINO_ALLOW_WRITE_QUERIES').default(false),
  TRINO_QUERY_TIMEOUT: positiveInt('TRINO_QUERY_TIMEOUT', 86_400).default(300),
  TRINO_MAX_ROWS: positiveInt('TRINO_MAX_ROWS', 1_000_000).default(1000),
  MCP_TRANSPORT: z
    .string()
    .trim()
    .toLowerCase()
    .refine((v) => v === 'stdio', { message: 'MCP_TRANSPORT must be stdio (the only transport of this version)' })
    .transform(() => 'stdio' as const)
    .default('stdio'),
});

/**
 * Reads the configuration from environment variables. Pure: no defaults come from
 * anywhere but here, nothing is logged. Empty variables count as unset.
 */
export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const present: Record<string, string> = {};
  for (const key of Object.keys(schema.shape)) {
    const v = env[key];
    if (v !== undefined && v !== '') present[key] = v;
  }
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    const errors = parsed.error.issues.map((i) => {
      const key = String(i.path[0] ?? 'configuration');
      return i.message.startsWith(key) ? i.message : `${key}: ${i.message}`;
    });
    return { ok: false, errors: [...new Set(errors)] };
  }
  const e = parsed.data;
  const scheme = e.TRINO_SCHEME ?? (e.TRINO_SSL ? 'https' : 'http');
  const host = e.TRINO_HOST.includes(':') && !e.TRINO_HOST.startsWith('[') ? `[${e.TRINO_HOST}]` : e.TRINO_HOST;
  return {
    ok: true,
    config: {
      trino: {
        host: e.TRINO_HOST,
        port: e.TRINO_PORT,
        scheme,
        user: e.TRINO_USER,
        password: e.TRINO_PASSWORD,
        verifyCertificates: !e.TRINO_SSL_INSECURE,
        server: `${scheme}://${host}:${e.TRINO_PORT}`,
      },
      defaults: { catalog: e.TRINO_CATALOG, schema: e.TRINO_SCHEMA },
      allowWriteQueries: e.TRINO_ALLOW_WRITE_QUERIES,
      queryTimeoutMs: e.TRINO_QUERY_TIMEOUT * 1000,
      maxRows: e.TRINO_MAX_ROWS,
      transport: e.MCP_TRANSPORT,
    },
  };
}

/** The configuration as it may be logged: the password replaced by a marker. */
export function redactedConfig(config: Config): Record<string, unknown> {
  return {
    ...config,
    trino: { ...config.trino, password: config.trino.password === undefined ? undefined : '[redacted]' },
  };
}
