/**
 * initdb's pg_hba.conf template (`share/pg_hba.conf.sample`) holds
 * placeholders that initdb replaces before PostgreSQL ever reads the file
 * (`initdb.c` setup_config). Read raw, `@authcomment@` would be an @file
 * reference; so a template is read as initdb would write it.
 */
const PLACEHOLDERS = ['@authcomment@', '@remove-line-for-nolocal@', '@authmethodlocal@', '@authmethodhost@'] as const;

export function isInitdbTemplate(text: string): boolean {
  return PLACEHOLDERS.some((p) => text.includes(p));
}

/**
 * The file initdb writes from the template. The defaults are Debian's
 * pg_createcluster choices (peer for local, scram-sha-256 for host); neither
 * is trust, so initdb's trust warning (@authcomment@) is empty and line
 * numbers stay those of the template.
 */
export function renderInitdbTemplate(text: string, auth: { local?: string; host?: string } = {}): string {
  return text
    .split('@remove-line-for-nolocal@').join('')
    .split('@authmethodlocal@').join(auth.local ?? 'peer')
    .split('@authmethodhost@').join(auth.host ?? 'scram-sha-256')
    .split('@authcomment@').join('');
}
