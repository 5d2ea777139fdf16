#!/bin/sh
# End to end: a manager checks a card from a phone's photo, a JPEG. 'tally
# scan --images' and the kiosk's --images read JPEG (baseline, progressive,
# colour, turned and soft, as phones take them) through the same decode
# path as PNG and PGM; a damaged JPEG is named and the other files are read.
# The photos are made from the card tally prints, with ImageMagick.
. "$(dirname "$0")/lib.sh"
T=$TALLY
if ! command -v convert >/dev/null 2>&1; then
    fail "ImageMagick's convert is needed: run 'make deps'"
    exit 1
fi

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
for who in "Łukasz Nowak 600100200" "Ana Pop 600100300" "Ede Kiss 600100400"; do
    set -- $who
    env TALLY_STAFF=Mira TALLY_PIN=2468 $T customer add --name "$1 $2" --phone "$3" >/dev/null
done
OUT=$($T card 600100200 --png card.png --format json)
HUMAN=$(printf '%s\n' "$OUT" | sed -n 's/.*"card":"\([^"]*\)".*/\1/p')

# A photo: the card on a wooden-brown table, turned, a little soft and
# warm, saved as a phone saves it.
convert card.png -bordercolor '#8a6a4a' -border 120 -rotate 8 -blur 0x1.2 \
    -fill '#ffe0b0' -tint 40 -quality 70 photo.jpg
convert card.png -interlace JPEG -quality 85 progressive.jpg
convert card.png -colorspace Gray -quality 50 grey.JPEG

run "a phone photo of the card (JPEG) is read" $T scan --images photo.jpg
has "and names the customer" "photo.jpg: Łukasz Nowak, card $HUMAN (active)"
run "a progressive JPEG is read" $T scan --images progressive.jpg
has "and names the customer" "Łukasz Nowak"
run "a grey JPEG is read" $T scan --images grey.JPEG
has "and names the customer" "Łukasz Nowak"

mkdir photos
cp photo.jpg photos/a.jpg
$T card 600100300 --png ana.png >/dev/null && convert ana.png -quality 60 photos/b.jpeg
$T card 600100400 --png photos/c.png >/dev/null
run "a directory's .jpg, .jpeg and .png files are read" $T scan --images photos
has "the .jpg" "a.jpg: Łukasz Nowak"
has "the .jpeg" "b.jpeg: Ana Pop"
has "the .png" "c.png: Ede Kiss"

head -c $(($(wc -c <photo.jpg) / 2)) photo.jpg >cut.jpg   # past the headers, whatever their size
printf '\377\330\377junk' >junk.jpg
refuse "a JPEG cut short is named and the rest read" "photo.jpg: Łukasz Nowak" \
    $T scan --images junk.jpg photo.jpg
has "the damaged one says so" "cannot read junk.jpg: damaged JPEG image"
OUT=$($T scan --images cut.jpg 2>&1)
has "a photo cut short decodes what it has, the code cut off" "cut.jpg: no QR code found"
mkdir none && echo hi >none/a.txt
refuse "a directory without images says which kinds are read" "holds no .png, .jpg or .pgm images" \
    $T scan --images none

# The kiosk's --images takes JPEG too: the photo is read at once, before
# anyone has logged in, and the kiosk says so.
command -v tmux >/dev/null 2>&1 || exit 0
SOCK="tally-photo-$$"
trap 'TM kill-server 2>/dev/null; rm -rf "$WORK"' EXIT
TM new-session -d -s k -x 80 -y 24 "TALLY_DB='$TALLY_DB' TALLY_LOCALEDIR='${TALLY_LOCALEDIR:-}' $T kiosk --images '$WORK/photo.jpg'; sleep 60"
wait_for "the kiosk reads a JPEG given with --images" "Log in first"
TM kill-server 2>/dev/null
