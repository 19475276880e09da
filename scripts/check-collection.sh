#!/usr/bin/env bash
# Build the collection as it would be published and check the tarball offline:
#   1. ansible-galaxy collection build           -> build/dist/horizon-ai_platform-<version>.tar.gz
#   2. scripts/check_collection.py               what Galaxy takes for granted (see its docstring)
#   3. galaxy-importer                           Galaxy's own import: docs of every plugin, ansible-lint,
#                                                changelog, metadata - with no network (ansible-test off)
# Called by `make release-check`; prints the tarball's path last.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=build/dist
rm -rf "$dist"
ansible-galaxy collection build --force --output-path "$dist" >/dev/null
tarball=$(ls "$dist"/horizon-ai_platform-*.tar.gz)
python scripts/check_collection.py "$tarball"

work=$(mktemp -d "${TMPDIR:-/tmp}/galaxy-importer.XXXXXX")
trap 'rm -rf "$work"' EXIT
cat > "$work/galaxy-importer.cfg" <<CFG
[galaxy-importer]
RUN_ANSIBLE_DOC = True
RUN_ANSIBLE_LINT = True
OFFLINE_ANSIBLE_LINT = True
RUN_ANSIBLE_TEST = False
CHECK_CHANGELOG = True
CHECK_REQUIRED_TAGS = False
ANSIBLE_LOCAL_TMP = $work/tmp
TMP_ROOT_DIR = $work
CFG
# (In $work: the importer writes importer_result.json into its working directory.)
(cd "$work" && GALAXY_IMPORTER_CONFIG="$work/galaxy-importer.cfg" python -m galaxy_importer.main "$OLDPWD/$tarball") 2>&1 | tee "$work/import.log"
# The importer reports problems as warnings and still succeeds: a release has none.
if grep -E '^(WARNING|ERROR)' "$work/import.log"; then
    echo "galaxy-importer reported the problems above" >&2
    exit 1
fi
echo "$tarball"
