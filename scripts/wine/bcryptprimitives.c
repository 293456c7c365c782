/* A stand-in for Windows' bcryptprimitives.dll, which Wine 8.0 lacks, for running the provider under Wine
 * only (scripts/platform-run installs it into its own Wine prefix; it is never shipped). Rust's standard
 * library takes its random numbers from ProcessPrng there since Rust 1.78; Windows 10 and later have it.
 * This one asks BCryptGenRandom, which Wine has, for the same system random numbers. */
#include <windows.h>
#include <bcrypt.h>

__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len)
{
    while (len > 0) {
        ULONG chunk = len > 0x40000000 ? 0x40000000 : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG)))
            return FALSE;
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
