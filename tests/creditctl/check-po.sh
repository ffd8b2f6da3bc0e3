#!/bin/sh
# check-po.sh SOURCE_DIR — every message creditctl translates has its Chinese.
#
# The messages are found in the code as xgettext finds them (the keywords creditctl.h and
# common.c define: _, N_, usage_error and say; clerk.c's fail; creditctl's own files and the
# two readers whose cell reasons it shows, clerk.c and csv_in.c); tools/creditctl/po/zh_CN.po must hold each of
# them (msgcmp), none untranslated or fuzzy, none that the code no longer uses (a message
# reworded in the code leaves its old entry behind), and compile with its formats checked
# against the English (msgfmt --check). Exit 0, or 1 naming what is missing or left over.
set -eu
src=$1
po=$src/tools/creditctl/po/zh_CN.po
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
xgettext --keyword=_ --keyword=N_ --keyword=usage_error --keyword=say --keyword=fail:3 \
    --flag=usage_error:1:c-format --flag=say:1:c-format --flag=fail:3:c-format \
    --from-code=UTF-8 --no-location -o "$tmp/creditctl.pot" "$src"/tools/creditctl/*.c \
    "$src"/tools/clerk.c "$src"/tools/csv_in.c
msgfmt --check -o /dev/null "$po"
msgcmp "$po" "$tmp/creditctl.pot"
# An entry the template lacks is what msgmerge makes obsolete ("#~").
msgmerge --quiet --no-fuzzy-matching -o "$tmp/merged.po" "$po" "$tmp/creditctl.pot"
if msgattrib --only-obsolete "$tmp/merged.po" | grep -q '^#~ msgid'; then
    echo "check-po.sh: $po has messages the code no longer uses:" >&2
    msgattrib --only-obsolete --no-wrap "$tmp/merged.po" | grep "^#~ msgid" >&2
    exit 1
fi
for what in --untranslated --only-fuzzy; do
    if [ -n "$(msgattrib $what --no-obsolete "$po")" ]; then
        echo "check-po.sh: $po has $what messages:" >&2
        msgattrib $what --no-obsolete "$po" >&2
        exit 1
    fi
done
echo "check-po.sh: every message of creditctl is in $po"
