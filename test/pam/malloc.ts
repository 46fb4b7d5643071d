/**
 * Bytes this process has malloc()ed and not yet freed, every thread's arena
 * included (glibc's mallinfo2: in-use chunks plus mmap()ed ones). Resident
 * memory moves by megabytes with V8's heaps and is blind to a leak of a few
 * kilobytes per login; this number is not: a PAM handle left without
 * pam_end, or a conversation answer never freed, shows up byte for byte.
 */
import koffi from 'koffi';

let reader: (() => number) | null | undefined;

/** null when the C library has no mallinfo2 (glibc older than 2.33, musl). */
export function mallocInUse(): number | null {
  if (reader === undefined) {
    try {
      const info = koffi.struct('pgauth_test_mallinfo2', {
        arena: 'size_t',
        ordblks: 'size_t',
        smblks: 'size_t',
        hblks: 'size_t',
        hblkhd: 'size_t',
        usmblks: 'size_t',
        fsmblks: 'size_t',
        uordblks: 'size_t',
        fordblks: 'size_t',
        keepcost: 'size_t',
      });
      const mallinfo2 = koffi.load('libc.so.6').func('mallinfo2', info, []);
      reader = () => {
        const m = mallinfo2() as { uordblks: number | bigint; hblkhd: number | bigint };
        return Number(m.uordblks) + Number(m.hblkhd);
      };
    } catch {
      reader = null;
    }
  }
  return reader ? reader() : null;
}

/** Why malloc accounting cannot be read here, or undefined when it can. */
export function mallinfoMissing(): string | undefined {
  return mallocInUse() === null ? 'glibc mallinfo2 not available (glibc >= 2.33 needed to count malloc()ed bytes)' : undefined;
}
