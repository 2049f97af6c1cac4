#!/usr/bin/env bash
# Shared by scripts/run and scripts/test: make sure the system libraries Qt needs (and, for
# the tests, the programs they drive) are present, then create .venv and install Emberterm
# into it. Idempotent and quick when nothing changed.
#
#   scripts/bootstrap.sh run    # runtime only
#   scripts/bootstrap.sh test   # runtime + test and development tools + vim, less, tmux, xvfb
set -euo pipefail

purpose="${1:-run}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# --- Python >= 3.11 --------------------------------------------------------------------
python=""
for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
        "$candidate" -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
        python="$candidate"
        break
    fi
done
if [ -z "$python" ]; then
    echo "emberterm: needs Python 3.11 or newer (none found on PATH)" >&2
    exit 1
fi

# --- system packages (Debian/Ubuntu) ----------------------------------------------------
# Qt's xcb and offscreen platforms load these at run time; pip cannot provide them.
runtime_pkgs=(libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 fonts-dejavu-core
    libdbus-1-3 libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0
    libxcb-randr0 libxcb-render-util0 libxcb-image0 libxcb-xkb1)
# Real programs the tests drive on real PTYs, and an X server for the primary-selection test.
test_pkgs=(vim less tmux xvfb xauth procps)
wanted=("${runtime_pkgs[@]}")
[ "$purpose" = test ] && wanted+=("${test_pkgs[@]}")
"$python" -c 'import ensurepip, venv' 2>/dev/null || wanted+=(python3-venv)

if command -v dpkg-query >/dev/null 2>&1; then
    missing=()
    for pkg in "${wanted[@]}"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" ||
            missing+=("$pkg")
    done
    if [ "${#missing[@]}" -gt 0 ]; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "emberterm: installing system packages: ${missing[*]}" >&2
            export DEBIAN_FRONTEND=noninteractive
            apt-get update -qq >/dev/null
            apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
        else
            echo "emberterm: these system packages are missing; install them first:" >&2
            echo "    sudo apt-get install ${missing[*]}" >&2
            exit 1
        fi
    fi
fi

# --- the virtual environment -------------------------------------------------------------
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi
extras=""
[ "$purpose" = test ] && extras="[test,dev]"
stamp=".venv/.emberterm-installed-$purpose"
digest="$(cat pyproject.toml | "$python" -c 'import hashlib,sys; print(hashlib.sha256(sys.stdin.buffer.read()).hexdigest())')"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$digest" ]; then
    .venv/bin/python -m pip install -q --disable-pip-version-check --upgrade pip >/dev/null
    .venv/bin/python -m pip install -q --disable-pip-version-check -e ".$extras"
    echo "$digest" >"$stamp"
fi
