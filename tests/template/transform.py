"""Expands template.yaml's SAM transform offline into plain CloudFormation (JSON on stdout).

cfn-lint on the SAM template misses wrong references inside SAM-only properties; linting the
expanded template catches them. Managed policies are resolved by name only, so nothing is
fetched from AWS.
"""
import json
import sys

from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse


class NoManagedPolicies:
    """A managed-policy loader that loads nothing: the template names no managed policy."""

    def load(self):
        return {}


def packaged(template):
    """Points local CodeUri paths at S3, as `sam package` does before deployment."""
    for name, resource in template.get("Resources", {}).items():
        properties = resource.get("Properties", {})
        if resource.get("Type") == "AWS::Serverless::Function" and not str(
            properties.get("CodeUri", "")
        ).startswith("s3://"):
            properties["CodeUri"] = f"s3://town311-artifacts/{name}.zip"
    return template


def main(path):
    with open(path, encoding="utf-8") as f:
        template = packaged(yaml_parse(f.read()))
    expanded = transform(template, {}, NoManagedPolicies())
    json.dump(expanded, sys.stdout, indent=2, sort_keys=True)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "template.yaml")
