#!/usr/bin/env bash
# Lays out the multi-domain evaluation corpora under tests/eval/corpora/<name>/docs/ from Debian packages.
# Needs root (apt-get) or the packages already installed. Idempotent: re-running replaces each docs/ folder.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
PACKAGES=(python3.11-doc debian-policy r-doc-pdf manpages man-db groff-base
          bsdextrautils apt git zstd openssl libxml2 iso-codes pkgconf-bin python3-yaml tcl8.6 psmisc)
missing=()
for p in "${PACKAGES[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
fresh() { rm -rf "$HERE/$1/docs"; mkdir -p "$HERE/$1/docs"; echo "$HERE/$1/docs"; }

# 1. technical HTML: the Python tutorial (16 pages)
d=$(fresh python-tutorial)
for f in /usr/share/doc/python3.11/html/tutorial/*.html; do
  [ "$(basename "$f")" = index.html ] || cp "$f" "$d/"
done

# 2. a governance text: Debian Policy, plain text
d=$(fresh debian-policy)
zcat /usr/share/doc/debian-policy/policy.txt.gz > "$d/policy.txt"

# 3. a PDF manual of 100 pages: An Introduction to R
d=$(fresh r-intro)
cp /usr/share/doc/r-doc-pdf/manual/R-intro.pdf "$d/"

# 4. many similar documents: Linux system-call man pages rendered to text
d=$(fresh manpages)
for page in open close read write lseek stat fork execve wait pipe dup kill chdir mkdir rmdir unlink rename \
            link symlink chmod chown access mmap brk socket bind listen accept connect select poll \
            getpid nice sleep nanosleep truncate sync fcntl ioctl umask alarm; do
  src=$(ls /usr/share/man/man2/"$page".2* 2>/dev/null | head -1) || true
  [ -n "$src" ] || continue
  MANWIDTH=80 man -P cat -l "$src" 2>/dev/null | col -bx > "$d/$page.2.txt"
done

# 5. Markdown: READMEs that Debian packages install
d=$(fresh readmes)
for pair in apt:apt git:git zstd:zstd openssl:openssl libxml2:libxml2 iso-codes:iso-codes man-db:man-db \
            pkgconf-bin:pkgconf-bin python3-yaml:python3-yaml tcl8.6:tcl8.6 psmisc:psmisc; do
  pkg=${pair%%:*}
  src=$(ls /usr/share/doc/"$pkg"/README.md* 2>/dev/null | head -1) || true
  [ -n "$src" ] || continue
  zcat -f "$src" > "$d/$pkg.md"
done
for c in python-tutorial debian-policy r-intro manpages readmes; do
  echo "$c: $(ls "$HERE/$c/docs" | wc -l) files, $(du -sh "$HERE/$c/docs" | cut -f1)"
done
