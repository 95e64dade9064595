/* A stand-in for Windows' bcryptprimitives.dll under Wine 8, which lacks it.
 *
 * Rust's standard library (1.78+) gets its random numbers from ProcessPrng, exported by
 * bcryptprimitives.dll since Windows 10; Wine 8 has no such DLL, so every Rust program fails
 * to start there (c0000135). This shim gives ProcessPrng from RtlGenRandom (advapi32's
 * SystemFunction036), which Wine has. Used only to run our Windows tests under Wine in CI
 * (.ci/run); never shipped. */
#include <windows.h>

BOOLEAN WINAPI SystemFunction036(PVOID buffer, ULONG length);

BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T length)
{
    while (length > 0) {
        ULONG chunk = length > 0x40000000 ? 0x40000000 : (ULONG)length;
        if (!SystemFunction036(data, chunk))
            return FALSE;
        data += chunk;
        length -= chunk;
    }
    return TRUE;
}
