/**
 * Compact JWE with a direct key (dir, A256GCM): what result cursors and write-confirmation
 * states are sealed with. jose is loaded on first use: it is 46 module files, and a server
 * that never cuts a result or confirms a write (most stdio starts) never needs it.
 */
type Jose = typeof import('jose');
let jose: Promise<Jose> | undefined;
const loadJose = () => (jose ??= import('jose'));

/** Encrypts and authenticates `plaintext` under the 32-byte `key`. */
export async function sealJwe(plaintext: string, key: Uint8Array): Promise<string> {
  const { CompactEncrypt } = await loadJose();
  return new CompactEncrypt(new TextEncoder().encode(plaintext)).setProtectedHeader({ alg: 'dir', enc: 'A256GCM' }).encrypt(key);
}

/** The plaintext of a JWE sealed by sealJwe under `key`; throws when it was not (forged, altered, another key). */
export async function openJwe(token: string, key: Uint8Array): Promise<Uint8Array> {
  const { compactDecrypt } = await loadJose();
  const { plaintext } = await compactDecrypt(token, key, { keyManagementAlgorithms: ['dir'], contentEncryptionAlgorithms: ['A256GCM'] });
  return plaintext;
}
