#!/usr/bin/env bash
# Lints template.yaml (cfn-lint, sam validate --lint, checkov's security checks), then the plain
# CloudFormation its SAM transform expands to.
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
# The SAM CLI's own lint, as before a deployment.
AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 "$venv/sam" validate --lint --template-file "$root/template.yaml" > /dev/null
# Security lint: each finding is fixed, or skipped on its resource with the reason
# (Metadata: checkov: skip: - id: ... comment: ...); an unexplained skip fails too.
checkov() {
  "$venv/checkov" --quiet --compact --framework cloudformation --file "$1" > "$2" 2>&1
}
checkov "$root/template.yaml" "$out/checkov.txt" || { cat "$out/checkov.txt" >&2; exit 1; }
awk '/- id: CKV_/ { id = $3; getline; if ($0 !~ /comment: "[^"]+"/) { print "template checks: checkov skip " id " gives no reason (comment)"; bad = 1 } }
     END { exit bad }' "$root/template.yaml" >&2
# It must be able to fail: a photo bucket accepting public ACLs is a finding nothing skips.
sed 's/BlockPublicAcls: true/BlockPublicAcls: false/' "$root/template.yaml" > "$out/public.yaml"
grep -q 'BlockPublicAcls: false' "$out/public.yaml"
if checkov "$out/public.yaml" "$out/public-checkov.txt" || ! grep -q CKV_AWS_53 "$out/public-checkov.txt"; then
  cat "$out/public-checkov.txt" >&2
  echo "template checks: checkov missed a bucket accepting public ACLs" >&2
  exit 1
fi
echo "template checks: template.yaml and its expansion ($(grep -c '"Type": "AWS::' "$out/expanded.json") resources) pass cfn-lint; sam validate --lint and checkov pass ($(grep -o 'Skipped checks: [0-9]*' "$out/checkov.txt" || echo 'Skipped checks: 0') with reasons)"
