const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** Decodes canonical (padded, standard alphabet, no blanks) base64, or undefined. */
export function decodeBase64Strict(text: string): Buffer | undefined {
  if (!CANONICAL_BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
}
