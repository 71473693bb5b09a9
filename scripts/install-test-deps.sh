#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine: the package with its test
# extras, and the real servers the collector tests talk to on 127.0.0.1 (unbound for DNS;
# chromium for the HTML evidence report; poppler-utils to read the PDF report back). moto's AWS
# server and weasyprint (the optional PDF extra) come from PyPI.
set -euo pipefail
cd "$(dirname "$0")/.."
python -m pip install --quiet --disable-pip-version-check -e ".[test,pdf]"
need=()
command -v unbound >/dev/null 2>&1 || [ -x /usr/sbin/unbound ] || need+=(unbound)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
command -v pdfdetach >/dev/null 2>&1 || need+=(poppler-utils)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then SUDO=sudo; else SUDO=; fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
