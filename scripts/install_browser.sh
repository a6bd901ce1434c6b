#!/usr/bin/env bash
# Headless Chromium and CJK fonts for the Data Docs browser test (tests/test_data_docs_offline.py).
# Idempotent: installs only what is missing, and is a no-op when both are present.
# Debian/Ubuntu with apt-get (as root, or with sudo). Ubuntu's "chromium" is a snap shim: there,
# install a Chromium build yourself and put it on PATH as `chromium`.
set -euo pipefail

missing=()
if ! command -v chromium >/dev/null 2>&1; then
    missing+=(chromium)
fi
if ! dpkg-query -W -f='${Status}' fonts-noto-cjk 2>/dev/null | grep -q 'install ok installed'; then
    missing+=(fonts-noto-cjk)      # Chinese glyphs in the rendered reports
fi

if [ ${#missing[@]} -eq 0 ]; then
    echo "install_browser: chromium and fonts-noto-cjk already installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "install_browser: missing ${missing[*]} and no apt-get on this machine;" \
         "install them with your package manager (the browser test needs them)" >&2
    exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
    if ! command -v sudo >/dev/null 2>&1; then
        echo "install_browser: need root or sudo to install ${missing[*]}" >&2
        exit 1
    fi
    sudo="sudo"
fi

echo "install_browser: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
chromium --version
