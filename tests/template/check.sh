#!/usr/bin/env bash
# Lints template.yaml, then the plain CloudFormation its SAM transform expands to.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
venv="$root/.venv/bin"
out="$root/target/template"
mkdir -p "$out"
"$venv/cfn-lint" "$root/template.yaml"
AWS_DEFAULT_REGION=us-east-1 "$venv/python" "$root/tests/template/transform.py" "$root/template.yaml" > "$out/expanded.json"
"$venv/cfn-lint" "$out/expanded.json"
# What can fail is watched: each function's errors counted, each dead-letter queue alarmed.
"$venv/python" "$root/tests/template/watched.py" "$root/template.yaml"
# The expanded check must be able to fail: a wrong reference inside a SAM-only property
# (a policy template's TopicName) passes the first lint and must fail the second.
sed 's/TopicName: !GetAtt EventsTopic.TopicName/TopicName: !GetAtt NoSuchTopic.TopicName/' \
  "$root/template.yaml" > "$out/broken.yaml"
grep -q NoSuchTopic "$out/broken.yaml"
AWS_DEFAULT_REGION=us-east-1 "$venv/python" "$root/tests/template/transform.py" "$out/broken.yaml" > "$out/broken.json"
if "$venv/cfn-lint" "$out/broken.json" > /dev/null; then
  echo "template checks: the expanded-template lint missed a broken reference" >&2
  exit 1
fi
echo "template checks: template.yaml and its expansion ($(grep -c '"Type": "AWS::' "$out/expanded.json") resources) pass cfn-lint"
