/** Why a stream was refused: its principal holds its share already, or the server holds its total. */
export type SlotRefusal = 'per_user' | 'total';

export type SlotGrant = { readonly ok: true; readonly release: () => void } | { readonly ok: false; readonly refusal: SlotRefusal };

/**
 * Counts long-lived streams (the 2024-11-05 SSE streams), per principal and in total,
 * without waiting: a stream over a cap is refused at once, since a client holding a
 * stream open has no reason to give it back soon. A slot is freed by its release (once,
 * however often it is called).
 */
export class StreamSlots {
  private readonly byKey = new Map<string, number>();
  private total = 0;

  constructor(private readonly limits: { readonly total: number; readonly perUser: number }) {}

  acquire(key: string): SlotGrant {
    const held = this.byKey.get(key) ?? 0;
    if (held >= this.limits.perUser) return { ok: false, refusal: 'per_user' };
    if (this.total >= this.limits.total) return { ok: false, refusal: 'total' };
    this.byKey.set(key, held + 1);
    this.total += 1;
    let released = false;
    return {
      ok: true,
      release: () => {
        if (released) return;
        released = true;
        this.total -= 1;
        const left = (this.byKey.get(key) ?? 1) - 1;
        if (left === 0) this.byKey.delete(key);
        else this.byKey.set(key, left);
      },
    };
  }

  /** Streams open: in total, or of one principal. */
  open(key?: string): number {
    return key === undefined ? this.total : (this.byKey.get(key) ?? 0);
  }
}
