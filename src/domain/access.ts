import type { Principal } from './model.ts';

/** Whether a tool only reads, or may write (execute_statement). */
export type ToolAccess = 'read' | 'write';

export interface AccessSettings {
  /** TRINO_ALLOW_WRITE_QUERIES: tools that write exist at all. */
  readonly allowWrites: boolean;
  /** OAUTH_REQUIRED_SCOPES: needed for every request (checked at the HTTP edge before any tool). */
  readonly requiredScopes: readonly string[];
  /** OAUTH_WRITE_SCOPE (HTTP with OAuth only): needed, on top, for tools that write. */
  readonly writeScope?: string | undefined;
}

/**
 * Who may call what: the one definition of "who may write". The MCP edge offers only the
 * tools a caller may call, the HTTP edge answers a call beyond the caller's scopes with a
 * scope challenge, and the policy refuses a write from anyone else.
 */
export class Access {
  constructor(readonly settings: AccessSettings) {}

  static readOnly(): Access {
    return new Access({ allowWrites: false, requiredScopes: [] });
  }

  /** Whether tools of this kind exist on this server, for anyone. */
  offered(kind: ToolAccess): boolean {
    return kind === 'read' || this.settings.allowWrites;
  }

  /** Every scope a token needs to call a tool of this kind. */
  scopesFor(kind: ToolAccess): string[] {
    const { requiredScopes, writeScope } = this.settings;
    return kind === 'write' && writeScope ? [...requiredScopes, writeScope] : [...requiredScopes];
  }

  /** Whether this principal may call a tool of this kind. */
  allows(principal: Principal, kind: ToolAccess): boolean {
    if (!this.offered(kind)) return false;
    return kind === 'read' || !this.settings.writeScope || principal.scopes.includes(this.settings.writeScope);
  }
}
