#!/usr/bin/env bash
# Static checks of the seed's Terraform module: formatting and `terraform validate` with the
# mirrored AWS provider (no network). Runs on a scratch copy so the module stays untouched.
set -euo pipefail
cd "$(dirname "$0")/.."
terraform fmt -check -recursive terraform
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r terraform/. "$work/"
: > "$work/.terraformrc"
export TF_CLI_CONFIG_FILE=$work/.terraformrc TF_IN_AUTOMATION=1
terraform -chdir="$work" init -backend=false -plugin-dir=/opt/tf-plugins -input=false >/dev/null
terraform -chdir="$work" validate -no-color
