#!/usr/bin/env python3
"""The file-level half of scripts/release: reproducible zips, checksums, and the static layouts of a
provider registry and a network mirror. Standard library only; scripts/release calls it.

  release.py pack     --version V --binary PATH --platform OS_ARCH --out DIR
  release.py sums     --version V --out DIR
  release.py registry --version V --out DIR --dir REGISTRY --namespace NS --public-key ASC --key-id ID
                      [--base-url URL]
  release.py mirror   --version V --out DIR --dir MIRROR --namespace NS [--base-url URL]
  release.py hash1    ZIP...        (prints Terraform's h1: hash of each zip's contents)

Names follow HashiCorp's release layout:
  terraform-provider-<type>_<ver>_<os>_<arch>.zip   holding terraform-provider-<type>_v<ver> (.exe on Windows)
  terraform-provider-<type>_<ver>_manifest.json      terraform-registry-manifest.json
  terraform-provider-<type>_<ver>_SHA256SUMS         (zips and manifest; .sig beside it)
"""

import argparse
import base64
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
import zipfile

PROVIDER_TYPE = "gateway"
PROJECT = f"terraform-provider-{PROVIDER_TYPE}"
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MANIFEST = os.path.join(REPO, "terraform-registry-manifest.json")

# The zip's only entry gets this timestamp (the earliest a zip can hold) unless SOURCE_DATE_EPOCH says otherwise.
DEFAULT_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
ZIP_FILE_MODE = 0o100755  # regular file, rwxr-xr-x: Terraform runs it as unpacked
ZIP_CREATE_SYSTEM_UNIX = 3  # tells unzip tools (and Go's archive/zip) that external_attr holds a Unix mode


def die(msg):
    print(f"release: error: {msg}", file=sys.stderr)
    sys.exit(1)


def zip_name(version, platform):
    return f"{PROJECT}_{version}_{platform}.zip"


def manifest_name(version):
    return f"{PROJECT}_{version}_manifest.json"


def sums_name(version):
    return f"{PROJECT}_{version}_SHA256SUMS"


def sha256_file(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def zip_time():
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return DEFAULT_ZIP_TIME
    t = time.gmtime(int(epoch))
    return max(DEFAULT_ZIP_TIME, (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec - t.tm_sec % 2))


def write_atomic(path, data):
    """Writes bytes (or text) to path through a temporary file in the same directory."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path) or ".", prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data.encode() if isinstance(data, str) else data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        os.unlink(tmp)
        raise


def write_json(path, doc):
    write_atomic(path, json.dumps(doc, indent=2, sort_keys=True) + "\n")


def hash1_zip(path):
    """Terraform's `h1:` package hash: golang.org/x/mod/sumdb/dirhash.Hash1 over the files the zip unpacks to.

    For each file, sorted by its slash-separated path: "<sha256 hex of content>  <path>\\n"; the hash is
    base64(sha256(all those lines)). Directories carry no line; file modes do not count. Terraform computes it
    on the unpacked directory (dirhash.HashDir with an empty prefix), which gives the same paths as the zip's
    entry names.
    """
    lines = []
    with zipfile.ZipFile(path) as z:
        names = sorted(i.filename for i in z.infolist() if not i.is_dir())
        for name in names:
            if "\n" in name:
                die(f"{path}: entry name with a newline: {name!r}")
            h = hashlib.sha256()
            with z.open(name) as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
            lines.append(f"{h.hexdigest()}  {name}\n")
    summary = hashlib.sha256("".join(lines).encode()).digest()
    return "h1:" + base64.b64encode(summary).decode()


# The executable format each platform's binaries have, and the machine field that format records: a binary is
# never packaged under another platform's name.
#   ELF:    e_machine (EM_X86_64, EM_AARCH64)
#   PE:     the COFF header's Machine (IMAGE_FILE_MACHINE_AMD64, _ARM64)
#   Mach-O: cputype (CPU_TYPE_X86_64, CPU_TYPE_ARM64), 64-bit little-endian images only
PLATFORM_FORMAT = {
    "linux_amd64": ("ELF", 0x3E),
    "linux_arm64": ("ELF", 0xB7),
    "windows_amd64": ("PE", 0x8664),
    "windows_arm64": ("PE", 0xAA64),
    "darwin_amd64": ("Mach-O", 0x01000007),
    "darwin_arm64": ("Mach-O", 0x0100000C),
}
MACHO_MAGIC_64_LE = b"\xcf\xfa\xed\xfe"


def executable_format(path):
    """(format, machine) of the executable at path, or (None, None) when it is none of ELF, PE, Mach-O."""
    with open(path, "rb") as f:
        head = f.read(4096)
    if len(head) >= 20 and head[:4] == b"\x7fELF":
        return "ELF", int.from_bytes(head[18:20], "little" if head[5] == 1 else "big")
    if len(head) >= 64 and head[:2] == b"MZ":
        pe = int.from_bytes(head[0x3C:0x40], "little")
        if pe + 6 <= len(head) and head[pe : pe + 4] == b"PE\0\0":
            return "PE", int.from_bytes(head[pe + 4 : pe + 6], "little")
    if len(head) >= 8 and head[:4] == MACHO_MAGIC_64_LE:
        return "Mach-O", int.from_bytes(head[4:8], "little")
    return None, None


def check_binary(path, platform):
    if platform not in PLATFORM_FORMAT:
        die(f"unsupported platform {platform} (known: {', '.join(PLATFORM_FORMAT)})")
    want_format, want_machine = PLATFORM_FORMAT[platform]
    fmt, machine = executable_format(path)
    if fmt != want_format:
        die(f"{path} is not a{'n' if want_format[0] in 'AEIOU' else ''} {want_format} executable, so not a {platform} binary")
    if machine != want_machine:
        die(f"{path} is a {fmt} executable for machine {machine:#x}, not {platform}")


def entry_name(version, platform):
    """The zip's one entry, as Terraform looks for it: terraform-provider-<type>_v<ver>, .exe on Windows."""
    return f"{PROJECT}_v{version}" + (".exe" if platform.startswith("windows_") else "")


def cmd_pack(args):
    """One reproducible zip: a single entry, fixed timestamp, mode and compression level."""
    if not os.path.isfile(args.binary):
        die(f"no binary at {args.binary}")
    check_binary(args.binary, args.platform)
    entry = entry_name(args.version, args.platform)
    info = zipfile.ZipInfo(entry, date_time=zip_time())
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = ZIP_CREATE_SYSTEM_UNIX
    info.external_attr = ZIP_FILE_MODE << 16
    out = os.path.join(args.out, zip_name(args.version, args.platform))
    os.makedirs(args.out, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=args.out, prefix=".tmp-")
    os.close(fd)
    try:
        with zipfile.ZipFile(tmp, "w") as z, open(args.binary, "rb") as src:
            with z.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
        os.chmod(tmp, 0o644)
        os.replace(tmp, out)
    except BaseException:
        os.unlink(tmp)
        raise
    print(out)


def release_zips(out, version):
    pattern = re.compile(re.escape(f"{PROJECT}_{version}_") + r"([a-z0-9]+_[a-z0-9]+)\.zip$")
    zips = {}
    for name in sorted(os.listdir(out)):
        m = pattern.match(name)
        if m:
            zips[m.group(1)] = os.path.join(out, name)
    if not zips:
        die(f"no {PROJECT}_{version}_<os>_<arch>.zip in {out}")
    return zips


def cmd_sums(args):
    """The manifest copy and SHA256SUMS in `sha256sum` format, sorted by file name."""
    manifest = os.path.join(args.out, manifest_name(args.version))
    with open(MANIFEST, "rb") as f:
        write_atomic(manifest, f.read())
    files = sorted(list(release_zips(args.out, args.version).values()) + [manifest], key=os.path.basename)
    lines = "".join(f"{sha256_file(p)}  {os.path.basename(p)}\n" for p in files)
    write_atomic(os.path.join(args.out, sums_name(args.version)), lines)
    print(os.path.join(args.out, sums_name(args.version)))


def read_sums(out, version):
    sums = {}
    with open(os.path.join(out, sums_name(version))) as f:
        for line in f:
            digest, name = line.rstrip("\n").split("  ", 1)
            sums[name] = digest
    return sums


def protocols():
    with open(MANIFEST) as f:
        return json.load(f)["metadata"]["protocol_versions"]


def version_key(v):
    """Orders versions as semver does for the common cases (pre-releases before the release)."""
    core, _, pre = v.partition("-")
    nums = tuple(int(x) if x.isdigit() else 0 for x in core.split("."))
    return (nums, pre == "", pre)


def url_for(base_url, path):
    """An absolute URL under --base-url, or else a path from the server root (Terraform resolves those against
    the URL of the document holding them)."""
    return (base_url.rstrip("/") if base_url else "") + "/" + path


def copy_file(src, dst):
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    tmp = dst + ".tmp"
    shutil.copyfile(src, tmp)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dst)


def cmd_registry(args):
    """Static provider registry protocol (v1) layout, to be served at the root of an HTTPS host:

    .well-known/terraform.json                         {"providers.v1": "/v1/providers/"}
    v1/providers/<ns>/<type>/versions                  every version found under this directory
    v1/providers/<ns>/<type>/<ver>/download/<os>/<arch> download document
    v1/providers/<ns>/<type>/<ver>/<release files>     zips, SHA256SUMS and its signature
    """
    zips = release_zips(args.out, args.version)
    sums = read_sums(args.out, args.version)
    with open(args.public_key) as f:
        armor = f.read()
    if "BEGIN PGP PUBLIC KEY BLOCK" not in armor:
        die(f"{args.public_key} is not an ASCII-armored public key")

    base = f"v1/providers/{args.namespace}/{PROVIDER_TYPE}"
    vdir = f"{base}/{args.version}"
    # A re-run for this version replaces it whole: no platform of an earlier run lingers.
    shutil.rmtree(os.path.join(args.dir, vdir), ignore_errors=True)
    release_files = list(zips.values()) + [
        os.path.join(args.out, sums_name(args.version)),
        os.path.join(args.out, sums_name(args.version) + ".sig"),
    ]
    for src in release_files:
        copy_file(src, os.path.join(args.dir, vdir, os.path.basename(src)))

    for platform, path in zips.items():
        os_, arch = platform.split("_", 1)
        name = os.path.basename(path)
        if name not in sums:
            die(f"{name} is not in {sums_name(args.version)}")
        write_json(
            os.path.join(args.dir, vdir, "download", os_, arch),
            {
                "protocols": protocols(),
                "os": os_,
                "arch": arch,
                "filename": name,
                "download_url": url_for(args.base_url, f"{vdir}/{name}"),
                "shasums_url": url_for(args.base_url, f"{vdir}/{sums_name(args.version)}"),
                "shasums_signature_url": url_for(args.base_url, f"{vdir}/{sums_name(args.version)}.sig"),
                "shasum": sums[name],
                "signing_keys": {"gpg_public_keys": [{"key_id": args.key_id, "ascii_armor": armor}]},
            },
        )

    versions = []
    root = os.path.join(args.dir, base)
    for ver in sorted(os.listdir(root), key=version_key):
        ddir = os.path.join(root, ver, "download")
        if not os.path.isdir(ddir):
            continue
        platforms = []
        for os_ in sorted(os.listdir(ddir)):
            for arch in sorted(os.listdir(os.path.join(ddir, os_))):
                with open(os.path.join(ddir, os_, arch)) as f:
                    doc = json.load(f)
                platforms.append({"os": os_, "arch": arch})
        versions.append({"version": ver, "protocols": doc["protocols"], "platforms": platforms})
    write_json(os.path.join(root, "versions"), {"versions": versions})
    providers_v1 = url_for(args.base_url, "v1/providers/")
    write_json(os.path.join(args.dir, ".well-known", "terraform.json"), {"providers.v1": providers_v1})
    print(args.dir)


def cmd_mirror(args):
    """Network mirror protocol layout, to be served at the mirror's base URL:

    registry.terraform.io/<ns>/<type>/index.json     {"versions": {...}} for every <ver>.json present
    registry.terraform.io/<ns>/<type>/<ver>.json     {"archives": {"<os>_<arch>": {"url", "hashes"}}}
    registry.terraform.io/<ns>/<type>/<zips>
    Configurations keep `source = "<ns>/<type>"`; the CLI configuration points Terraform at the mirror.
    """
    zips = release_zips(args.out, args.version)
    sums = read_sums(args.out, args.version)
    pdir = f"registry.terraform.io/{args.namespace}/{PROVIDER_TYPE}"
    root = os.path.join(args.dir, pdir)
    prefix = f"{PROJECT}_{args.version}_"
    if os.path.isdir(root):
        for name in os.listdir(root):
            if name.startswith(prefix) and name.endswith(".zip"):
                os.unlink(os.path.join(root, name))
    archives = {}
    for platform, path in zips.items():
        name = os.path.basename(path)
        copy_file(path, os.path.join(root, name))
        archives[platform] = {
            "url": url_for(args.base_url, f"{pdir}/{name}") if args.base_url else name,
            "hashes": [hash1_zip(path), "zh:" + sums[name]],
        }
    write_json(os.path.join(root, f"{args.version}.json"), {"archives": archives})
    versions = {
        n[: -len(".json")]: {}
        for n in os.listdir(root)
        if n.endswith(".json") and n != "index.json" and re.match(r"^\d+\.\d+\.\d+", n)
    }
    write_json(os.path.join(root, "index.json"), {"versions": versions})
    print(args.dir)


def cmd_hash1(args):
    for path in args.zips:
        print(f"{hash1_zip(path)}  {path}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)

    def common(sp):
        sp.add_argument("--version", required=True)
        sp.add_argument("--out", required=True, help="the release directory (dist)")

    sp = sub.add_parser("pack")
    common(sp)
    sp.add_argument("--binary", required=True)
    sp.add_argument("--platform", required=True, help="<os>_<arch>, e.g. linux_amd64")
    sp.set_defaults(fn=cmd_pack)

    sp = sub.add_parser("sums")
    common(sp)
    sp.set_defaults(fn=cmd_sums)

    sp = sub.add_parser("registry")
    common(sp)
    sp.add_argument("--dir", required=True)
    sp.add_argument("--namespace", required=True)
    sp.add_argument("--public-key", required=True)
    sp.add_argument("--key-id", required=True)
    sp.add_argument("--base-url", default="")
    sp.set_defaults(fn=cmd_registry)

    sp = sub.add_parser("mirror")
    common(sp)
    sp.add_argument("--dir", required=True)
    sp.add_argument("--namespace", required=True)
    sp.add_argument("--base-url", default="")
    sp.set_defaults(fn=cmd_mirror)

    sp = sub.add_parser("hash1")
    sp.add_argument("zips", nargs="+")
    sp.set_defaults(fn=cmd_hash1)

    args = p.parse_args()
    if getattr(args, "version", None) and not re.match(r"^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$", args.version):
        die(f"not a semantic version: {args.version}")
    args.fn(args)


if __name__ == "__main__":
    main()
