#!/usr/bin/env bash
# Deploys madoguchi to an AWS account with SAM, uploads the members' web portal (web/) to
# its bucket behind CloudFront, then seeds the providers of docs/operators.md through the
# operators' API. Needs: the AWS SAM CLI, cargo-lambda with zig (see
# infra/README.md), curl ≥ 7.75 (for --aws-sigv4), and credentials for the account in the
# usual AWS variables or profile.
#
#   infra/deploy.sh <stack-name> <sender-address> <alarm-address> [stage]
#
# The alarm address gets every alarm (docs/runbook.md); SNS asks it to confirm once.
#
# Re-running it updates the stack; the provider seeding is idempotent (an existing
# provider answers 409 provider_exists, which counts as done).
set -euo pipefail
cd "$(dirname "$0")/.."

usage='usage: infra/deploy.sh <stack-name> <sender-address> <alarm-address> [stage]'
stack=${1:?$usage}
sender=${2:?$usage}
alarms=${3:?$usage}
stage=${4:-prod}
region=${AWS_REGION:-${AWS_DEFAULT_REGION:?set AWS_REGION}}

# The status view names the build it runs (docs/operations.md#the-status-view).
MADOGUCHI_BUILD=$(git describe --always --dirty 2>/dev/null || echo unknown)
export MADOGUCHI_BUILD
sam build --template-file infra/template.yaml --build-dir .aws-sam/build
sam deploy \
  --template-file .aws-sam/build/template.yaml \
  --stack-name "$stack" \
  --region "$region" \
  --capabilities CAPABILITY_IAM \
  --resolve-s3 \
  --no-fail-on-empty-changeset \
  --parameter-overrides "Stage=$stage" "SenderAddress=$sender" "AlarmEmail=$alarms"

output() {
  aws cloudformation describe-stacks --stack-name "$stack" --region "$region" \
    --query "Stacks[0].Outputs[?OutputKey=='$1'].OutputValue" --output text
}
api=$(output ApiUrl)
echo "API: $api"

# The members' web portal (docs/portal.md): web/ as it is, no build step. `no-cache` makes
# browsers and CloudFront check each file again, so a new release shows at once.
aws s3 sync web/ "s3://$(output PortalBucketName)/" --region "$region" --delete \
  --cache-control no-cache
portal=$(output PortalUrl)
echo "portal: $portal"

# The operators' routes are IAM-authorised: sign with the deploying credentials.
# Whatever kind the credentials are (static keys, SSO, a role), as variables. They reach
# curl through its standard input as a config file, never on its command line, where any
# user of the machine could read them with `ps`.
eval "$(aws configure export-credentials --format env)"
: "${AWS_ACCESS_KEY_ID:?no credentials}" "${AWS_SECRET_ACCESS_KEY:?no credentials}"
signed() {
  {
    printf 'user = "%s:%s"\n' "$AWS_ACCESS_KEY_ID" "$AWS_SECRET_ACCESS_KEY"
    if [ -n "${AWS_SESSION_TOKEN:-}" ]; then
      printf 'header = "x-amz-security-token: %s"\n' "$AWS_SESSION_TOKEN"
    fi
  } | curl -sS -o /dev/null -w '%{http_code}' --aws-sigv4 "aws:amz:$region:execute-api" \
    --config - "$@"
}

seed_provider() {
  local status
  status=$(signed -X POST "$api/admin/v1/providers" -H 'content-type: application/json' \
    -d "{\"provider_code\":\"$1\",\"provider_name\":\"$2\",\"service_name\":\"$3\"}")
  case "$status" in
    201) echo "provider $1 registered" ;;
    409) echo "provider $1 already registered" ;;
    *) echo "provider $1: unexpected answer $status" >&2; exit 1 ;;
  esac
}
seed_provider W0099 'NTT西日本(試験用)' '試験用'
seed_provider 060000 'IP電話サービス提供者' 'IP電話'
echo "deployed: $api (portal: $portal)"
