/** Parts of the effective configuration (src/app/config.ts), each built only by loadConfig. */

/** Result pages, the rendering of results, and the confirmation of writes. */
export interface ResultsConfig {
  /** TRINO_CURSOR_TTL, in ms: how long the pages of one result can be read, from its first page. */
  readonly cursorTtlMs: number;
  /** MCP_CURSOR_SECRET: the key of cursors shared by replicas; unset, each process draws its own. */
  readonly cursorSecret?: string | undefined;
  /** TRINO_MARK_UNTRUSTED: result values go in a fenced block marked as data, not instructions. */
  readonly markUntrusted: boolean;
  /** TRINO_WRITE_CONFIRMATION: ask the user before execute_statement runs (elicit), or not (none). */
  readonly writeConfirmation: 'elicit' | 'none';
}

export interface LimitsConfig {
  /** TRINO_MAX_RESULT_BYTES: rendered bytes of one result before it is truncated and the query cancelled. */
  readonly maxResultBytes: number;
  /** TRINO_MAX_VALUE_BYTES: rendered bytes of one value before it is cut with a visible marker. */
  readonly maxValueBytes: number;
  /** TRINO_MAX_CONCURRENT_QUERIES: Trino queries this server runs at once, for everyone. */
  readonly maxConcurrentQueries: number;
  /** TRINO_MAX_CONCURRENT_QUERIES_PER_USER: Trino queries one principal runs at once. */
  readonly maxConcurrentQueriesPerUser: number;
  /** TRINO_MAX_QUEUED_QUERIES: calls that may wait for a slot; beyond it a call is refused at once (BUSY). */
  readonly maxQueuedQueries: number;
  /** TRINO_QUEUE_TIMEOUT: how long a call waits for a slot before it is refused (BUSY). */
  readonly queueTimeoutMs: number;
}
