#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# test-introspection.sh - the org.stasis1.Manager and org.stasis1.Set interfaces
# as the running stasisd introspects them must equal data/org.stasis1.Manager.xml
# and data/org.stasis1.Set.xml, and the org.stasis1.Writer interface a libstasis
# writer exports must equal data/org.stasis1.Writer.xml; docs/dbus-api.md
# documents all three.
#
# Both sides are normalised the same way before the comparison: only the
# <interface> element is kept, one tag a line, two spaces of indentation a
# level, attributes in a fixed order (name, type, direction, access, value,
# then the rest by name), and an element with nothing in it written as <x/>.
#
# With STASIS_UPDATE_INTROSPECTION=1 the test rewrites the two files from the
# daemon instead of comparing (review the result with git diff).
set -euo pipefail
. "$(dirname "$0")/../lib.sh"

# normalize_interface NAME < XML: print the normalised <interface name="NAME">
# element, or nothing if the input has none. Plain POSIX awk (mawk will do).
normalize_interface() {
        awk -v want="$1" '
        function attr_rank(a) {
                if (a == "name") return 1
                if (a == "type") return 2
                if (a == "direction") return 3
                if (a == "access") return 4
                if (a == "value") return 5
                return 9
        }
        # Parses the tag text t (no < or >) into tag_name and tag_attrs, the
        # attributes as name="value" in the fixed order.
        function parse_tag(t,    n, i, j, k, a, an, tmp, tmpn) {
                sub(/^[ \t]+/, "", t)
                sub(/[ \t\/]+$/, "", t)
                match(t, /^[^ \t\/]+/)
                tag_name = substr(t, 1, RLENGTH)
                t = substr(t, RLENGTH + 1)
                n = 0
                while (match(t, /[A-Za-z_:][-A-Za-z0-9_:.]*[ \t]*=[ \t]*("[^"]*"|\047[^\047]*\047)/)) {
                        a = substr(t, RSTART, RLENGTH)
                        t = substr(t, RSTART + RLENGTH)
                        an = a
                        sub(/[ \t]*=.*/, "", an)
                        sub(/^[^=]*=[ \t]*/, "", a)
                        if (substr(a, 1, 1) == "\047")
                                a = "\"" substr(a, 2, length(a) - 2) "\""
                        n++
                        names[n] = an
                        vals[n] = a
                }
                # insertion sort by rank, then by name
                for (i = 2; i <= n; i++) {
                        tmpn = names[i]; tmp = vals[i]
                        for (j = i - 1; j >= 1; j--) {
                                if (attr_rank(names[j]) < attr_rank(tmpn) ||
                                    (attr_rank(names[j]) == attr_rank(tmpn) && names[j] <= tmpn))
                                        break
                                names[j + 1] = names[j]; vals[j + 1] = vals[j]
                        }
                        names[j + 1] = tmpn; vals[j + 1] = tmp
                }
                tag_attrs = ""
                for (k = 1; k <= n; k++)
                        tag_attrs = tag_attrs " " names[k] "=" vals[k]
        }
        function attr_value(attrs, an,    s) {
                s = attrs
                if (!match(s, " " an "=\"[^\"]*\""))
                        return ""
                s = substr(s, RSTART + length(an) + 3, RLENGTH - length(an) - 4)
                return s
        }
        { doc = doc " " $0 }
        END {
                gsub(/[\t\r\n]/, " ", doc)
                depth = -1      # -1: not inside the wanted interface
                nt = 0
                while ((p = index(doc, "<")) > 0) {
                        doc = substr(doc, p)
                        if (substr(doc, 1, 4) == "<!--") {
                                q = index(doc, "-->")
                                if (q == 0) break
                                doc = substr(doc, q + 3)
                                continue
                        }
                        q = index(doc, ">")
                        if (q == 0) break
                        t = substr(doc, 2, q - 2)
                        doc = substr(doc, q + 1)
                        if (t ~ /^[?!]/)
                                continue
                        if (t ~ /^\//) {
                                kind = "close"
                                t = substr(t, 2)
                        } else if (t ~ /\/[ \t]*$/)
                                kind = "empty"
                        else
                                kind = "open"
                        parse_tag(t)

                        if (depth < 0) {
                                if (kind != "close" && tag_name == "interface" &&
                                    attr_value(tag_attrs, "name") == want) {
                                        nt++; tk[nt] = kind; tn[nt] = tag_name; ta[nt] = tag_attrs
                                        if (kind == "empty") break
                                        depth = 1
                                }
                                continue
                        }
                        nt++; tk[nt] = kind; tn[nt] = tag_name; ta[nt] = tag_attrs
                        if (kind == "open") depth++
                        else if (kind == "close" && --depth == 0) break
                }
                level = 0
                for (i = 1; i <= nt; i++) {
                        ind = ""
                        if (tk[i] == "close") {
                                level--
                                for (l = 0; l < level; l++) ind = ind "  "
                                print ind "</" tn[i] ">"
                                continue
                        }
                        for (l = 0; l < level; l++) ind = ind "  "
                        if (tk[i] == "empty" || (tk[i] == "open" && i < nt && tk[i + 1] == "close" && tn[i + 1] == tn[i])) {
                                print ind "<" tn[i] ta[i] "/>"
                                if (tk[i] == "open") i++
                                continue
                        }
                        print ind "<" tn[i] ta[i] ">"
                        level++
                }
        }'
}

stasis_setup

bus() { busctl --address="$STASIS_BUS_ADDRESS" "$@"; }

# A Set object exists only while a set does: make one.
stasis_make_fs btrfs sets
out=$(bus call org.stasis1 /org/stasis1 org.stasis1.Manager CreateSet 'asa{sv}' \
        1 "$STASIS_FS" 2 persistent b true label s introspection)
set_path=$(sed -n 's|^so "[^"]*" "\(/org/stasis1/set/[^"]*\)"$|\1|p' <<<"$out")
[ -n "$set_path" ] || stasis_die "CreateSet gave an unexpected reply: $out"

manager_xml=$(bus introspect --xml-interface org.stasis1 /org/stasis1)
set_xml=$(bus introspect --xml-interface org.stasis1 "$set_path")

# A writer made with libstasis exports org.stasis1.Writer at /org/stasis1/writer.
"$STASIS_BUILD_DIR/test/helpers/stasis-test-writer" --name introspection --component "data=$STASIS_FS" \
        --ready-file "$STASIS_TMP/writer-ready" 2>>"$STASIS_TMP/writer.log" &
stasis_track_pid $!
wait_for 10 test -e "$STASIS_TMP/writer-ready"
writer_owner=$("$STASIS" --json writers | jq -r '.[] | select(.writer == "introspection") | .owner')
[ -n "$writer_owner" ] || stasis_die "the test writer is not listed by stasis writers"
writer_xml=$(bus introspect --xml-interface "$writer_owner" /org/stasis1/writer)

# The documented signals for sets appearing and vanishing come from here.
assert_contains "$manager_xml" '<interface name="org.freedesktop.DBus.ObjectManager">' \
        "/org/stasis1 has no ObjectManager"

failed=0
check_interface() {
        local iface=$1 xml=$2 file=$STASIS_SRC/data/$1.xml live want
        live=$(normalize_interface "$iface" <<<"$xml")
        [ -n "$live" ] || stasis_die "stasisd does not introspect interface $iface"

        if [ "${STASIS_UPDATE_INTROSPECTION:-0}" = 1 ]; then
                { echo '<!-- SPDX-License-Identifier: LGPL-2.1-or-later -->'
                  if [ "$iface" = org.stasis1.Writer ]; then
                        echo "<!-- The $iface interface, which a writer exports (libstasis at"
                        echo '     /org/stasis1/writer) and stasisd calls, as a libstasis writer'
                        echo '     introspects it, normalised by test/integration/test-introspection.sh,'
                        echo '     which checks the two agree. Documented in docs/dbus-api.md and'
                        echo '     docs/writers.md. -->'
                  else
                        echo "<!-- The $iface interface as stasisd introspects it, normalised by"
                        echo '     test/integration/test-introspection.sh, which checks the two agree.'
                        echo '     Documented in docs/dbus-api.md. -->'
                  fi
                  echo "$live"; } >"$file"
                stasis_log "rewrote $file"
                return 0
        fi

        [ -f "$file" ] || stasis_die "$file is missing"
        want=$(normalize_interface "$iface" <"$file")
        if [ "$live" != "$want" ]; then
                echo "FAIL: the $iface interface of the running stasisd differs from $file" >&2
                echo "      (- checked in, + live):" >&2
                diff -u --label "$file" --label "stasisd $iface" <(echo "$want") <(echo "$live") >&2 || true
                echo "      The D-Bus API has changed. If that is intended, update data/$iface.xml" >&2
                echo "      (run this test with STASIS_UPDATE_INTROSPECTION=1 to rewrite it) and" >&2
                echo "      describe the change in docs/dbus-api.md; if not, fix the code." >&2
                failed=1
        fi
}

check_interface org.stasis1.Manager "$manager_xml"
check_interface org.stasis1.Set "$set_xml"
check_interface org.stasis1.Writer "$writer_xml"
[ "$failed" = 0 ] || exit 1

bus call org.stasis1 /org/stasis1 org.stasis1.Manager DeleteSet s "${set_path##*/}"
echo "ok"
