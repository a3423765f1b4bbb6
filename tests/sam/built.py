"""Checks the template `sam build` wrote (.aws-sam/build/template.yaml): every
AWS::Serverless::Function's CodeUri names a directory, beside the template, holding an arm64
executable named bootstrap (what the provided.al2023 runtime starts).

It checks itself first: the same template with one function's CodeUri pointing at a directory
with no bootstrap must fail. Usage: built.py .aws-sam/build/template.yaml
"""
import copy
import os
import struct
import sys

from samtranslator.yaml_helper import yaml_parse

AARCH64 = 183  # e_machine of an arm64 ELF file


def not_arm64_executable(path):
    """Why path is not an arm64 ELF executable, or None."""
    try:
        with open(path, "rb") as f:
            header = f.read(20)
    except OSError as e:
        return f"{path}: {e.strerror}"
    if len(header) < 20 or header[:4] != b"\x7fELF" or struct.unpack("<H", header[18:20])[0] != AARCH64:
        return f"{path} is not an arm64 (aarch64) ELF executable"
    if not os.access(path, os.X_OK):
        return f"{path} is not executable"
    return None


def functions(template):
    resources = template.get("Resources", {})
    return {k: r for k, r in resources.items() if r.get("Type") == "AWS::Serverless::Function"}


def problems(template, base):
    found = [] if functions(template) else ["no AWS::Serverless::Function in the built template"]
    for name, resource in functions(template).items():
        uri = resource.get("Properties", {}).get("CodeUri")
        if not isinstance(uri, str):
            found.append(f"{name}: CodeUri {uri!r} is not a directory")
            continue
        problem = not_arm64_executable(os.path.join(base, uri, "bootstrap"))
        if problem:
            found.append(f"{name}: {problem}")
    return found


def main(path):
    base = os.path.dirname(os.path.abspath(path))
    with open(path, encoding="utf-8") as f:
        template = yaml_parse(f.read())
    broken = copy.deepcopy(template)
    name = sorted(functions(broken))[0] if functions(broken) else None
    if name:
        broken["Resources"][name]["Properties"]["CodeUri"] = "."
        if not problems(broken, base):
            sys.exit(f"built-template check: a CodeUri with no bootstrap ({name}) passed")
    found = problems(template, base)
    if found:
        sys.exit("built template:\n  " + "\n  ".join(found))
    for name, resource in sorted(functions(template).items()):
        bootstrap = os.path.join(base, resource["Properties"]["CodeUri"], "bootstrap")
        print(f"  {name}: {os.path.relpath(bootstrap)}, arm64 ELF, {os.path.getsize(bootstrap) / 1e6:.1f} MB")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else ".aws-sam/build/template.yaml")
