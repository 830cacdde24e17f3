#!/usr/bin/env bash
# Static checks of the seed's Terraform module: formatting and `terraform validate`. Runs on a
# scratch copy so the module stays untouched. The AWS provider comes from the registry, or
# from the mirror DYNOSTACK_TF_PLUGIN_DIR names (offline).
set -euo pipefail
cd "$(dirname "$0")/.."
terraform fmt -check -recursive terraform
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r terraform/. "$work/"
: > "$work/.terraformrc"
export TF_CLI_CONFIG_FILE=$work/.terraformrc TF_IN_AUTOMATION=1
mirror=()
if [ -n "${DYNOSTACK_TF_PLUGIN_DIR:-}" ]; then
    mirror=(-plugin-dir="$DYNOSTACK_TF_PLUGIN_DIR")
fi
terraform -chdir="$work" init -backend=false "${mirror[@]}" -input=false >/dev/null
terraform -chdir="$work" validate -no-color
