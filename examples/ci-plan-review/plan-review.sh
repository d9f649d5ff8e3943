#!/usr/bin/env bash
# Plan the configuration in the current directory and print a review of what it does to AWS.
#
#   plan-review.sh [terraform plan arguments...]      e.g. -var image=wordpress:6.6-apache
#
# Writes `tfplan` (the saved plan, for a later `terraform apply tfplan`), `tfplan.json`
# (`terraform show -json tfplan`) and `tfplan.txt` (the human plan), then prints, per resource,
# its action, the attributes that change and, for `wordpress_ha_stack`, the sub-resource
# actions from `planned_changes` (create/update/replace/delete per AWS object).
# Needs python3 (standard library only; no jq). TERRAFORM and PYTHON override the commands.
# Exit status: terraform's when planning fails, else 0.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
terraform=${TERRAFORM:-terraform}
python=${PYTHON:-python3}
plan_file=${PLAN_FILE:-tfplan}

if ! "$terraform" plan -input=false -no-color -out="$plan_file" "$@" >"$plan_file.txt" 2>&1; then
  cat "$plan_file.txt" >&2
  echo "plan-review: terraform plan failed (its output is above and in $plan_file.txt)" >&2
  exit 1
fi
"$terraform" show -json "$plan_file" >"$plan_file.json"
"$python" "$here/summarize_plan.py" "$plan_file.json"
