"""Artefact sizes: each function's bootstrap as `cargo lambda build --release --arm64` makes it
and as `cargo build --release` makes it for x86-64, and each zipped the way `sam build`
packages a function (deflate, the one file named bootstrap).

Usage: sizes.py LAMBDA_DIR X86_RELEASE_DIR OUT.json FUNCTION...
  (LAMBDA_DIR holds cargo lambda's <function>/bootstrap, X86_RELEASE_DIR the x86-64 binaries)
"""
import json
import os
import subprocess
import sys
import zipfile

# What takes the room in a bootstrap: code, constants, relocated pointers and their relocations,
# unwind tables.
SECTIONS = (".text", ".rodata", ".data.rel.ro", ".rela.dyn", ".eh_frame")


def sections(binary):
    """Sizes of the sections above, in bytes, from readelf (empty if readelf is missing)."""
    try:
        out = subprocess.run(["readelf", "-S", "-W", binary], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    sizes = {}
    for line in out.splitlines():
        parts = line.replace("[ ", "[").split()
        if len(parts) > 5 and parts[1] in SECTIONS:
            sizes[parts[1]] = int(parts[5], 16)
    return sizes

lambda_dir, x86_dir, out, functions = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
zips = os.path.join(os.path.dirname(out), "zips")
result = {}
for arch, path_of in (
    ("arm64", lambda f: os.path.join(lambda_dir, f, "bootstrap")),
    ("x86_64", lambda f: os.path.join(x86_dir, f)),
):
    os.makedirs(os.path.join(zips, arch), exist_ok=True)
    for f in functions:
        binary = path_of(f)
        if not os.path.isfile(binary):
            sys.exit(f"sizes: {binary} is missing (was it built?)")
        archive = os.path.join(zips, arch, f + ".zip")
        with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo("bootstrap", date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o755 << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(binary, "rb") as b:
                z.writestr(info, b.read())
        result.setdefault(f, {})[arch] = {
            "bootstrap_bytes": os.path.getsize(binary),
            "zip_bytes": os.path.getsize(archive),
            "sections": sections(binary),
        }
        print(f"  {f:<8} {arch:<7} bootstrap {os.path.getsize(binary) / 1e6:6.2f} MB  zip {os.path.getsize(archive) / 1e6:5.2f} MB")
with open(out, "w") as o:
    json.dump(result, o, indent=2)
