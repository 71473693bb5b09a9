#!/usr/bin/env bash
# Installs everything the test suite needs on a Debian or Ubuntu machine: the package with its
# test extras, into the `python` on PATH (a virtualenv, or a Python whose pip may install:
# Debian 12's system python3 refuses, PEP 668), and, with apt-get, the real servers the
# collector tests talk to on 127.0.0.1 (unbound for DNS; chromium for the HTML evidence report;
# poppler-utils to read the PDF report back). moto's AWS server and weasyprint (the optional PDF
# extra) come from PyPI.
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
