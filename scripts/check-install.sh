#!/bin/sh
# SPDX-License-Identifier: MIT
# make install as a Debian package build would run it, into a scratch
# DESTDIR with the multiarch LIBDIR, then check what it installed:
#   check-install.sh MAKE SONAME SOFILE "COMMANDS"
# (called by `make check-install`, part of `make test`).  Exit 0 or 1.
set -eu
make=$1 soname=$2 sofile=$3 cmds=$4
libdir=/usr/lib/$(${CC:-cc} -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
tmp=$(mktemp -d /tmp/pa-install-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "check-install: FAILED: $*" >&2; exit 1; }

$make --no-print-directory -s install DESTDIR="$tmp" PREFIX=/usr LIBDIR="$libdir" \
	> "$tmp.log" 2>&1 || { cat "$tmp.log" >&2; rm -f "$tmp.log"; fail "make install"; }
rm -f "$tmp.log"
lib=$tmp$libdir

# the versioned library, the soname link, the development link
[ -f "$lib/$sofile" ] && [ ! -L "$lib/$sofile" ] || fail "$libdir/$sofile is not a file"
[ "$(readlink "$lib/$soname")" = "$sofile" ] || fail "$soname -> $sofile missing"
[ "$(readlink "$lib/libpagealloc.so")" = "$soname" ] || fail "libpagealloc.so -> $soname missing"
objdump -p "$lib/$sofile" | grep -q "SONAME *$soname\$" || fail "soname is not $soname"
[ -f "$lib/libpagealloc.a" ] || fail "libpagealloc.a not in $libdir"
grep -qx "libdir=$libdir" "$lib/pkgconfig/pagealloc.pc" || fail "pagealloc.pc libdir is not $libdir"
[ -x "$tmp/usr/bin/pagealloc" ] || fail "no /usr/bin/pagealloc"
[ -f "$tmp/usr/include/pagealloc.h" ] || fail "no pagealloc.h"

# the man page, with every command's options
man=$tmp/usr/share/man/man1/pagealloc.1
[ -f "$man" ] || fail "no pagealloc.1 (help2man missing? make deps)"
for c in $cmds; do
	grep -q "^\.SS pagealloc $c\$" "$man" || fail "pagealloc.1 has no section for $c"
done

# a program against the installed library (not the build tree's)
cat > "$tmp/t.c" <<'C'
#include <pagealloc.h>
#include <stdio.h>
int main(void)
{
	struct pa_config cfg = pa_config_default();
	cfg.bytes = 64ull << 20;
	cfg.backing = PA_BACKING_ANON;
	struct pa_zone *z = pa_zone_create(&cfg);
	void *p = z ? pa_alloc_pages(z, 9, PA_GFP_MOVABLE) : NULL;
	if (!p)
		return 1;
	pa_free_pages(z, p, 9);
	pa_zone_destroy(z);
	puts("ok");
	return 0;
}
C
${CC:-cc} ${SAN_LDFLAGS:-} -I"$tmp/usr/include" -o "$tmp/t" "$tmp/t.c" -L"$lib" -lpagealloc \
	|| fail "cannot build against the installed library"
out=$(LD_LIBRARY_PATH="$lib" "$tmp/t") || fail "program against the installed library"
[ "$out" = ok ] || fail "program printed: $out"
LD_LIBRARY_PATH="$lib" ldd "$tmp/t" | grep -q "$lib/$soname" || fail "not linked to $soname"

# uninstall leaves no file
$make --no-print-directory -s uninstall DESTDIR="$tmp" PREFIX=/usr LIBDIR="$libdir" \
	|| fail "make uninstall"
left=$(find "$tmp/usr" -type f -o -type l)
[ -z "$left" ] || fail "uninstall left: $left"
echo "check-install: ok ($libdir/$sofile, soname $soname, pagealloc.1 with $(echo $cmds | wc -w) commands)"
