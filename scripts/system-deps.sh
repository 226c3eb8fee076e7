#!/usr/bin/env bash
# Debian packages harmwatch needs. Always: ICU and a C++ compiler, to build PyICU
# (under followthemoney's name normalisation; it has no wheels). For the test suite
# (not with --build-only): Chromium for the browser tests, a PostgreSQL server that
# the storage tests start themselves, a font, poppler (the report tests read PDFs
# back), a Java 17 runtime (Spark: `county-lines detect --engine spark` and the Spark
# tests). Pango always (PDF reports). Installed only when missing; needs
# root (or sudo), as apt does.
set -euo pipefail
need=()
pkg-config --exists icu-uc 2>/dev/null || need+=(libicu-dev pkg-config)
command -v g++ >/dev/null 2>&1 || need+=(g++)
# Pango lays out the PDF reports (WeasyPrint); always, since `harmwatch report` needs it.
ldconfig -p 2>/dev/null | grep -q libpangoft2-1.0 || need+=(libpango-1.0-0 libpangoft2-1.0-0)
if [ "${1:-}" != "--build-only" ]; then
  command -v chromium >/dev/null 2>&1 || need+=(chromium)
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
  fc-list 2>/dev/null | grep -qi dejavu || need+=(fonts-dejavu-core)
  # pdftoppm / pdftotext: the report tests render the PDF and read its text back.
  command -v pdftoppm >/dev/null 2>&1 || need+=(poppler-utils)
  # Spark 4 (PySpark, from requirements.lock) runs on Java 17 or newer; "1.8" reads as 1.
  java_major="$(java -version 2>&1 | sed -n 's/.* version "\([0-9]*\).*/\1/p' | head -n 1 || true)"
  [ "${java_major:-0}" -ge 17 ] 2>/dev/null || need+=(openjdk-17-jre-headless)
fi
if [ ${#need[@]} -eq 0 ]; then
  exit 0
fi
echo "Installing Debian packages: ${need[*]} …" >&2
run=()
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then
    run=(sudo)
  else
    echo "The tests need these Debian packages: ${need[*]}; install them as root (apt-get install -y ${need[*]})." >&2
    exit 1
  fi
fi
# Slim Debian images leave out the man folders, and the JRE's postinst fails without one.
case " ${need[*]} " in *" openjdk-17-jre-headless "*) "${run[@]}" mkdir -p /usr/share/man/man1 ;; esac
"${run[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${run[@]}" apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
