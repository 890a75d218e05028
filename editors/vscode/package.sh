#!/usr/bin/env bash
# Packages the Rekindle VS Code extension as a .vsix with @vscode/vsce (from the npm registry, as
# pinned in package-lock.json). The file is a build output: build/vscode/rekindle-VERSION.vsix.
# Usage: bash editors/vscode/package.sh [OUT_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../../build/vscode}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$here"
npm ci --no-audit --no-fund --silent
version=$(node -p "require('./package.json').version")
npx --no-install vsce package --skip-license --allow-missing-repository \
  --out "$out/rekindle-$version.vsix"
echo "package.sh: $out/rekindle-$version.vsix"
