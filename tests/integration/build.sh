#!/usr/bin/env bash
# The build off Debian: plain `make` never runs the Debian installer
# (.ci/deps), honours CPPFLAGS, LDFLAGS and PKG_CONFIG, and stops with a
# clear message when a .pc file or bison is missing. One real build (only
# the snapkeep binary, -O0, in a fresh BUILD directory) with dpkg-query
# and apt-get hidden from PATH; the rest is `make -n` or stops before the
# compiler runs.
# shellcheck source=tests/lib.sh
. "$(dirname "$0")/../lib.sh"
cd "$TOP" || exit 2
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES     # not the outer make's -j and jobserver

# A PATH holding every command of this one but dpkg* and apt*.
nodeb=$T_TMP/bin
mkdir -p "$nodeb"
IFS=: read -r -a dirs <<<"$PATH"
for d in "${dirs[@]}"; do
    [ -d "$d" ] || continue
    for f in "$d"/*; do
        b=${f##*/}
        case "$b" in dpkg*|apt*) continue ;; esac
        [ -x "$f" ] && [ ! -d "$f" ] && [ ! -e "$nodeb/$b" ] && ln -s "$f" "$nodeb/$b"
    done
done
t_check "dpkg-query and apt-get are hidden" \
    env PATH="$nodeb" sh -c '! command -v dpkg-query && ! command -v apt-get'

mk() { env PATH="$nodeb" make --no-print-directory "$@"; }

b=$T_TMP/b-dry
mk -n BUILD="$b" BIN="$b/snapkeep" >"$T_TMP/n-all" 2>&1
t_check "plain make does not run .ci/deps" sh -c "! grep -q 'ci/deps' '$T_TMP/n-all'"
mk -n BUILD="$b" BIN="$b/snapkeep" check >"$T_TMP/n-check" 2>&1
t_check "make check runs .ci/deps" grep -q 'ci/deps' "$T_TMP/n-check"

mk -n BUILD="$b" BIN="$b/snapkeep" CPPFLAGS=-DSNAPKEEP_CPPFLAGS_SEEN \
    LDFLAGS=-Wl,--build-id=none >"$T_TMP/n-flags" 2>&1
t_check "CPPFLAGS reach every compile" sh -c "
    ! grep -- ' -c -o $b/' '$T_TMP/n-flags' | grep -qv -- -DSNAPKEEP_CPPFLAGS_SEEN &&
    grep -q -- ' -c -o $b/cli/main.o' '$T_TMP/n-flags'"
t_check "LDFLAGS reach the link" \
    grep -q -- "-o $b/snapkeep .*-Wl,--build-id=none" "$T_TMP/n-flags"
# one bison and one flex run per build: two at once under -j would write
# parser.c while it is being compiled
t_check "bison and flex run once each" \
    test "$(grep -c '^bison ' "$T_TMP/n-flags") $(grep -c '^flex ' "$T_TMP/n-flags")" = "1 1"

# The real build, through a PKG_CONFIG that notes it was used.
cat >"$T_TMP/my-pkg-config" <<EOF
#!/bin/sh
echo "\$*" >>"$T_TMP/pkg-config.log"
exec pkg-config "\$@"
EOF
chmod +x "$T_TMP/my-pkg-config"
b=$T_TMP/b-real
t_exit "make BIN=... builds with dpkg-query and apt-get hidden" 0 \
    mk -j2 BUILD="$b" BIN="$b/snapkeep" CFLAGS=-O0 PKG_CONFIG="$T_TMP/my-pkg-config"
t_check "the binary it built runs" sh -c "'$b/snapkeep' --version | grep -q '^snapkeep '"
t_check "PKG_CONFIG is the pkg-config asked" grep -q -- '--libs libcurl libcjson' "$T_TMP/pkg-config.log"

# A missing .pc file: an error naming the package, before any compile.
mkdir -p "$T_TMP/no-pc"
b=$T_TMP/b-nopc
t_exit "a missing .pc file stops the build" 2 \
    env PKG_CONFIG_LIBDIR="$T_TMP/no-pc" PKG_CONFIG_PATH= \
    PATH="$nodeb" make --no-print-directory BUILD="$b" BIN="$b/snapkeep"
t_check "... saying which .pc file is missing" \
    grep -q "finds no .pc file for some of: libcurl libcjson" "$T_TMP/err"
t_check "... before anything is compiled" sh -c "! find '$b' -name '*.o' 2>/dev/null | grep -q ."

# bison: missing, or too old for `parse.error detailed`.
b=$T_TMP/b-bison
t_exit "no bison stops the build" 2 mk BUILD="$b" BIN="$b/snapkeep" BISON="$T_TMP/none/bison"
t_check "... with a message naming bison 3.6" grep -q "needs GNU bison 3.6 or later" "$T_TMP/err"
printf '#!/bin/sh\necho "bison (GNU Bison) 3.0.4"\n' >"$T_TMP/old-bison"
chmod +x "$T_TMP/old-bison"
t_exit "bison 3.0 stops the build" 2 mk BUILD="$b" BIN="$b/snapkeep" BISON="$T_TMP/old-bison"
t_check "... naming the version found" grep -q "is version 3.0: grammar/parser.y needs GNU bison 3.6" "$T_TMP/err"

t_done
