#!/usr/bin/env bash
# `make messages`: extract every translatable string into one template and merge it into
# each language's catalogue, locale/<lang>/LC_MESSAGES/django.po (docs/i18n.md).
#   - Python and the Django templates (emails, admin): Django's makemessages.
#   - The Jinja2 public pages: Babel's jinja2 extractor (babel.cfg), since makemessages
#     reads only Django's template syntax.
# Each catalogue is merged from its own previous version, so no translation is lost
# when makemessages alone would have called the Jinja2 strings obsolete.
set -euo pipefail
cd "$(dirname "$0")/.."
LANGS=(es fr de pt_BR)
BIN=.venv/bin
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export DEBUG=true VAR_DIR="$WORK/var"

for lang in "${LANGS[@]}"; do
  mkdir -p "locale/$lang/LC_MESSAGES"
  po="locale/$lang/LC_MESSAGES/django.po"
  [ -f "$po" ] && cp "$po" "$WORK/$lang.po"
done

# Python and Django templates; the Jinja2 pages and the tools' folders left out.
"$BIN/python" manage.py makemessages --keep-pot --no-location --no-wrap \
  $(printf -- ' -l %s' "${LANGS[@]}") \
  --ignore=.venv --ignore=node_modules --ignore='tests/*' --ignore='bench/*' \
  --ignore='devtools/*' --ignore=var --ignore='templates/optout/*' --ignore=templates/base.html \
  >/dev/null
# No pot when nothing in Python or the Django templates is marked yet.
[ -f locale/django.pot ] && mv locale/django.pot "$WORK/django.pot"

"$BIN/pybabel" -q extract -F babel.cfg --no-location --no-wrap \
  -k _ -k gettext -k ngettext:1,2 -k pgettext:1c,2 -k npgettext:1c,2,3 \
  -o "$WORK/jinja.pot" templates
msgcat --use-first --no-wrap --no-location -o "$WORK/all.pot" "$WORK"/*.pot

for lang in "${LANGS[@]}"; do
  po="locale/$lang/LC_MESSAGES/django.po"
  previous="$WORK/$lang.po"
  [ -f "$previous" ] || msginit --no-translator --no-wrap -l "$lang" -i "$WORK/all.pot" -o "$previous"
  msgmerge --quiet --no-wrap --no-location --previous --no-fuzzy-matching \
    -o "$po" "$previous" "$WORK/all.pot"
  # Obsolete entries would only grow: a string gone from the code goes from here too.
  msgattrib --no-obsolete --no-wrap --no-location -o "$po" "$po"
  echo "$po: $(msgfmt --statistics -o /dev/null "$po" 2>&1)"
done
