#!/usr/bin/env python3
"""Link-time descriptions (.tbd) of the two Apple frameworks the provider's macOS build links, for scripts/release.

The AWS SDK's HTTP client loads the system's trusted root certificates through rustls-native-certs, which on macOS
calls Security.framework (and CoreFoundation for its types). No package reachable from the release machine ships
macOS's SDK; zig's linker brings libSystem's descriptions but no framework's. A .tbd is what the SDK itself holds
for each library: the path the dynamic loader opens on the Mac and the symbols the library exports. These list
only the symbols the provider uses, so the linker records the two frameworks as dependencies by their real paths
and the loader binds the symbols on macOS at start-up.

  macos-link-stubs.py DIR     writes DIR/Security.framework/Security.tbd and DIR/CoreFoundation.framework/...

A dependency update that calls more of either framework fails the link with "undefined symbol: _Name": add the
name below. That the result runs on a Mac is not tested here (no Mac can be reached).
"""

import os
import sys

# What security-framework 3.7 / core-foundation 0.10 call on behalf of rustls-native-certs 0.8.5 (Cargo.lock).
FRAMEWORKS = {
    "Security": [
        "_SecCertificateCopyData",
        "_SecCopyErrorMessageString",
        "_SecTrustSettingsCopyCertificates",
        "_SecTrustSettingsCopyTrustSettings",
    ],
    "CoreFoundation": [
        "_CFArrayCreate",
        "_CFArrayGetCount",
        "_CFArrayGetValueAtIndex",
        "_CFDataGetBytePtr",
        "_CFDataGetLength",
        "_CFDictionaryGetValueIfPresent",
        "_CFEqual",
        "_CFNumberGetValue",
        "_CFRelease",
        "_CFRetain",
        "_CFStringCreateWithBytesNoCopy",
        "_CFStringGetBytes",
        "_CFStringGetCStringPtr",
        "_CFStringGetLength",
        "_kCFAllocatorDefault",
        "_kCFAllocatorNull",
        "_kCFTypeArrayCallBacks",
    ],
}
TARGETS = "[ x86_64-macos, arm64-macos ]"


def tbd(name, symbols):
    """A text-based dylib stub, format version 4 (what ld64 and zig's linker read)."""
    listed = ", ".join(symbols)
    return (
        "--- !tapi-tbd\n"
        "tbd-version:     4\n"
        f"targets:         {TARGETS}\n"
        f"install-name:    '/System/Library/Frameworks/{name}.framework/Versions/A/{name}'\n"
        "exports:\n"
        f"  - targets:         {TARGETS}\n"
        f"    symbols:         [ {listed} ]\n"
        "...\n"
    )


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    for name, symbols in FRAMEWORKS.items():
        d = os.path.join(sys.argv[1], f"{name}.framework")
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, f"{name}.tbd"), "w") as f:
            f.write(tbd(name, symbols))


if __name__ == "__main__":
    main()
