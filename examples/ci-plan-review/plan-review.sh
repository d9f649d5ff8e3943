#!/usr/bin/env bash
# Plan the configuration in the current directory and review what it does to AWS.
#
#   plan-review.sh [terraform plan arguments...]      e.g. -var image=wordpress:6.6-apache
#
# Writes `tfplan` (the saved plan, for a later `terraform apply tfplan`), `tfplan.json`
# (`terraform show -json tfplan`) and `tfplan.txt` (the human plan), then runs
# `terraform-provider-wordpress review tfplan.json`: per stack, the AWS objects it changes
# grouped by risk (data-loss, downtime, cost) and the monthly cost delta.
#
# Environment:
#   TERRAFORM        the terraform command (default: terraform)
#   PROVIDER_BINARY  the provider binary to review with (default: the one `terraform init`
#                    installed under .terraform/providers, else terraform-provider-wordpress
#                    on PATH)
#   REVIEW_FORMAT    text (default) or markdown (a PR comment, $GITHUB_STEP_SUMMARY)
#   FAIL_ON          e.g. data-loss,downtime: exit 3 when a change carries one of them
#   PLAN_FILE        the saved plan's name (default: tfplan)
# Exit status: 1 when planning fails, 3 when the review's gate stops, else 0.
set -euo pipefail

terraform=${TERRAFORM:-terraform}
plan_file=${PLAN_FILE:-tfplan}
format=${REVIEW_FORMAT:-text}

provider=${PROVIDER_BINARY:-}
if [ -z "$provider" ]; then
  # What `terraform init` installed: .terraform/providers/<host>/wpstack/wordpress/<v>/<os_arch>/.
  provider=$(find .terraform/providers -path '*/wpstack/wordpress/*' -type f \
    -name 'terraform-provider-wordpress_v*' 2>/dev/null | sort | tail -1)
  provider=${provider:-terraform-provider-wordpress}
fi

if ! "$terraform" plan -input=false -no-color -out="$plan_file" "$@" >"$plan_file.txt" 2>&1; then
  cat "$plan_file.txt" >&2
  echo "plan-review: terraform plan failed (its output is above and in $plan_file.txt)" >&2
  exit 1
fi
"$terraform" show -json "$plan_file" >"$plan_file.json"
review=("$provider" review "$plan_file.json" --format "$format")
[ -n "${FAIL_ON:-}" ] && review+=(--fail-on "$FAIL_ON")
exec "${review[@]}"
