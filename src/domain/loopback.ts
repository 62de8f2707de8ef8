/**
 * What counts as loopback, for the whole server: `localhost`, the IPv4 loopback network
 * 127.0.0.0/8 and `::1` (bare or in brackets). Config uses it to decide whether a bind
 * address is local; the HTTP edge uses it to check Host and Origin headers, so a server
 * bound to 127.0.0.2 answers requests addressed to 127.0.0.2.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h === '::1') return true;
  const parts = h.split('.');
  return parts.length === 4 && parts[0] === '127' && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
}
