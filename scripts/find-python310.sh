#!/usr/bin/env bash
# Print the path of a Python 3.10 interpreter (Rasa 3.6 runs on 3.8-3.10 only), or explain what is missing.
set -u
probe='import sys; assert sys.version_info[:2] == (3, 10); print(sys.executable)'
for candidate in "PYENV_VERSION=3.10.13 python3.10" "python3.10" "PYENV_VERSION=3.10 python3.10"; do
  if path=$(env ${candidate} -c "$probe" 2>/dev/null) && [ -n "$path" ]; then
    echo "$path"; exit 0
  fi
done
if command -v pyenv >/dev/null 2>&1; then
  version=$(pyenv versions --bare 2>/dev/null | grep -E '^3\.10(\.|$)' | tail -n 1)
  if [ -n "$version" ] && path=$(PYENV_VERSION="$version" pyenv exec python -c "$probe" 2>/dev/null); then
    echo "$path"; exit 0
  fi
fi
echo "error: no Python 3.10 interpreter found. Rasa 3.6 needs Python 3.10: install it (e.g. 'pyenv install 3.10.13'" >&2
echo "       or your system's python3.10 package) so that 'python3.10' is on PATH, then run make again." >&2
exit 1
