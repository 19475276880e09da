#!/usr/bin/env bash
# Run `ansible-test sanity` on a copy of the collection laid out as ansible-test needs it
# (ansible_collections/horizon/ai_platform), with no ignore entries.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
dest="$root/build/sanity/ansible_collections/horizon/ai_platform"
python_version="$(python -c 'import sys; print("%d.%d" % sys.version_info[:2])')"

rm -rf "$dest"
mkdir -p "$dest"
(cd "$root" && git ls-files -co --exclude-standard -z | rsync -a --from0 --files-from=- ./ "$dest/")
# ansible-test lists content through git; the copy sits in an ignored folder of this
# repository, so it gets a throwaway repository of its own.
git -C "$dest" init -q
git -C "$dest" add -A

# ansible-test bootstraps pip into its sanity venvs with a cached get-pip script, which it
# otherwise downloads from an unreachable host. Give it ours (see the script's docstring)
# under a HOME of its own, so nothing outside the project changes.
export HOME="$root/.cache/ansible-test-home"
pip_version="$(python - <<'PY'
import re, ansible_test, pathlib
text = (pathlib.Path(ansible_test.__file__).parent / "_internal" / "python_requirements.py").read_text()
print(re.search(r"default_packages = dict\(\s*pip='([^']+)'", text).group(1))
PY
)"
mkdir -p "$HOME/.ansible/test/cache"
cp "$root/scripts/ansible_test_get_pip.py" "$HOME/.ansible/test/cache/get_pip_${pip_version//./_}.py"

cd "$dest"
ansible-test sanity --color no --python "$python_version" "$@"
