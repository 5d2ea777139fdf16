#!/bin/sh
# End to end: printed cards and the scanner. A card made by 'tally card'
# is read back by 'tally scan' (the kiosk's decode path) and by Debian's
# independent zbarimg; a replaced card stops working; other shops' cards,
# QR codes that are not cards, and unreadable files are told apart.
. "$(dirname "$0")/lib.sh"
T=$TALLY

env TALLY_NEW_PIN=2468 $T init --shop "Kawiarnia Pod Lipą" --currency PLN --manager Mira >/dev/null
M() { as Mira 2468 "$@"; }
M env TALLY_NEW_PIN=1111 $T staff add Bogdan --role barista >/dev/null
B() { as Bogdan 1111 "$@"; }
B $T customer add --name "Łukasz Nowak" --phone 600100200 >/dev/null

# --- printing a card -------------------------------------------------------
refuse "a card needs an output" "--png FILE, --svg FILE or --term" $T card 600100200
refuse "a card needs a customer" "whose card" $T card --png x.png
refuse "an unknown customer is refused" "no customer" $T card 600999999 --png x.png
run "a card as PNG, without logging in" $T card 600100200 --png card.png --format json
QR=$(printf '%s\n' "$OUT" | sed -n 's/.*"qr":"\([^"]*\)".*/\1/p')
HUMAN=$(printf '%s\n' "$OUT" | sed -n 's/.*"card":"\([^"]*\)".*/\1/p')
case "$QR" in TALLY:*) pass "the JSON gives the QR payload" ;; *) fail "no QR payload in: $OUT" ;; esac
# A card holds a name and a code that works at the counter: only its owner
# reads the file, whatever the umask, unless --mode asks for more.
same "the PNG is written 0600" "$(stat -c %a card.png)" 600
# IHDR: width and height, big-endian, at byte 16.
same "the PNG is 1004x650 (85x55 mm at 300 dpi)" "$(od -An -tu1 -j16 -N8 card.png | tr -s ' ')" " 0 0 3 236 0 0 2 138"
same "no temporary file is left behind" "$(ls | grep -c 'card.png.')" 0
run "tally scan reads the card back" $T scan --images card.png
has "it names the customer" "Łukasz Nowak"
has "and says the card is active" "$HUMAN (active)"
same "Debian's zbarimg reads the same payload" "$(zbarimg --raw -q card.png 2>/dev/null)" "$QR"

run "a card as SVG" $T card 600100200 --svg card.svg
same "the SVG starts with <svg" "$(head -c 4 card.svg)" "<svg"
same "the SVG is written 0600" "$(stat -c %a card.svg)" 600
run "a wider umask does not widen it" sh -c "umask 000 && $T card 600100200 --svg open.svg --png open.png"
same "0600 under umask 000 (SVG)" "$(stat -c %a open.svg)" 600
same "0600 under umask 000 (PNG)" "$(stat -c %a open.png)" 600
run "--mode 644 shares a card deliberately" $T card 600100200 --png shared.png --mode 644
same "the shared PNG is 0644" "$(stat -c %a shared.png)" 644
refuse "--mode refuses execute bits" "octal" $T card 600100200 --png x.png --mode 755
refuse "--mode refuses what is not octal" "octal" $T card 600100200 --png x.png --mode rw
same "a refused mode writes nothing" "$(ls x.png 2>/dev/null)" ""
same "the SVG shows the shop's name" "$(grep -c '>Kawiarnia Pod Lipą</text>' card.svg)" 1
H1=$(printf '%s' "$HUMAN" | cut -c1-14); H2=$(printf '%s' "$HUMAN" | cut -c16-)
same "the SVG shows the code, in two lines as the PNG" "$(grep -c -e ">$H1</text>" -e ">$H2</text>" card.svg)" 2
same "the SVG shows the customer's name" "$(grep -c '>Łukasz Nowak</text>' card.svg)" 1
run "a card in the terminal" $T card 600100200 --term
has "the terminal card has the QR's blocks" "█"
has "and the code under it" "$HUMAN"
same "no colours when not on a terminal" "$(printf '%s' "$OUT" | grep -c "$(printf '\033')")" 0
refuse "a card into a missing directory says why" "cannot write" $T card 600100200 --png nowhere/card.png

# --- letters as written, the shop's colour and logo ---------------------------
B $T customer add --name "Ștefan Őrs Wiśniewski" --phone 600100300 >/dev/null
M $T program set shop.accent blue >/dev/null
run "a card with ș, ő and ą and the shop's logo" $T card 600100300 --png st.png --svg st.svg --logo card.png
run "it reads back through tally scan" $T scan --images st.png
has "which names Ștefan as written" "Ștefan Őrs Wiśniewski"
case "$(zbarimg --raw -q st.png 2>/dev/null)" in TALLY:*) pass "zbarimg reads the branded card" ;;
    *) fail "zbarimg cannot read st.png" ;; esac
grep -q 'fill="#1466bf"' st.svg && pass "the SVG's band is the shop's accent (blue)" || fail "no blue band in st.svg"
grep -q 'href="data:image/png;base64,' st.svg && pass "the SVG embeds the logo" || fail "no logo in st.svg"
same "the PNG is in colour (RGB)" "$(od -An -tu1 -j25 -N1 st.png | tr -d ' ')" 2
run "--no-name leaves the name off" $T card 600100300 --svg anon.svg --no-name
same "no name on that card" "$(grep -c 'Ștefan' anon.svg)" 0
printf 'not a picture' >bad.png
refuse "a logo that is not a PNG is refused" "logo" $T card 600100300 --png x.png --logo bad.png
refuse "a missing logo says so" "cannot read the logo" $T card 600100300 --png x.png --logo nowhere.png
same "and no card was written" "$(ls x.png 2>/dev/null)" ""
printf 'card_logo = %s\n' "$WORK/card.png" >logo.conf
run "the configuration's card_logo is the default logo" $T --config logo.conf card 600100300 --svg conf.svg
grep -q 'href="data:image/png;base64,' conf.svg && pass "and it is on the card" || fail "no logo from card_logo"
M $T program set shop.accent green >/dev/null

# --- replacing a lost card ---------------------------------------------------
refuse "a barista cannot replace a card" "manager" B $T card 600100200 --replace --png new.png
same "the refused replacement wrote nothing" "$(ls new.png 2>/dev/null)" ""
run "a manager replaces the card" M $T card 600100200 --replace --png new.png --format json
NEW=$(printf '%s\n' "$OUT" | sed -n 's/.*"card":"\([^"]*\)".*/\1/p')
[ -n "$NEW" ] && [ "$NEW" != "$HUMAN" ] && pass "the new card has a new code" || fail "new code '$NEW' (old $HUMAN)"
refuse "the old card is refused as replaced" "replaced" B $T earn "$HUMAN" 5
run "the new card earns" B $T earn "$NEW" 5
run "scan both cards" $T scan --images card.png new.png
has "the old card scans as replaced" "$HUMAN (replaced)"
has "the new card scans as active" "$NEW (active)"
run "scan as JSON" $T scan --images card.png new.png --format json
has "JSON says which card was replaced" '"state":"replaced"'
has "JSON names the active card's customer" '"name":"Łukasz Nowak"'

# --- codes that are not this shop's cards -------------------------------------
other_shop
env TALLY_DB=$OTHER $T card 700100200 --png other.png >/dev/null
run "scan another shop's card" $T scan --images other.png
has "it belongs to another shop" "another shop"

# A QR code of a web address, as a plain PGM (P2) drawn from its modules,
# 4 pixels a module with a 4-module quiet zone.
cat >url.txt <<'MODULES'
#######....###....#...#######
#.....#..#####....##..#.....#
#.###.#.#.#..##..##...#.###.#
#.###.#..##.##.##.#...#.###.#
#.###.#.##.#.#.#..#...#.###.#
#.....#.#.##..#.#####.#.....#
#######.#.#.#.#.#.#.#.#######
..........###.#..#...........
.#..#.#.#.#...#.##..##.##.#..
.#.###..#.#####..##...###..##
#.#...###.#.##...##..#...##.#
.###.#.##..#....###.##...#.##
...#..#....##.#.##.#...#.#..#
..#..#.##..#..##.#....#.#.#.#
#.##.##.###.##..###.#...#...#
##.##...#.####.###..##.#.#...
##.#####.#.#.....#.#.#.......
#####.....#.#.....#..####...#
..##.##..##..#.###..#....#..#
....#...##....##.#.##...#..##
####..#...#...#..#..######...
........##...#.#..###...#.#.#
#######..##.##.#.####.#.#...#
#.....#.....#.##.####...##.#.
#.###.#.#.##..#.#########..##
#.###.#..##....#.#.....#....#
#.###.#....#...#.#####...####
#.....#.#.###..#.#.##.##.#.##
#######...#.#.##.#.###..##.#.
MODULES
awk 'BEGIN { q = 4; px = 4 }
     { row[NR] = $0; n = length($0) }
     END {
       side = (n + 2 * q) * px
       printf "P2\n%d %d\n255\n", side, side
       for (y = 0; y < side; y++) {
         my = int(y / px) - q + 1
         for (x = 0; x < side; x++) {
           mx = int(x / px) - q + 1
           dark = my >= 1 && my <= NR && mx >= 1 && mx <= n && substr(row[my], mx, 1) == "#"
           printf "%d%s", dark ? 0 : 255, x == side - 1 ? "\n" : " "
         }
       }
     }' url.txt >url.pgm
run "scan a QR code that is not a card" $T scan --images url.pgm
has "it is not a loyalty card" "not a loyalty card code"
run "--raw prints any QR text as is" $T scan --raw --images url.pgm
same "the web address comes out whole" "$OUT" "https://example.com/menu?table=4"
same "zbarimg agrees on the fixture" "$(zbarimg --raw -q url.pgm 2>/dev/null)" "https://example.com/menu?table=4"

# --- a directory, blanks and unreadable files ------------------------------------
mkdir cards
cp new.png cards/1.png
cp other.png cards/2.png
cp url.pgm cards/3.pgm
printf 'P5 4 4 255\n%016d' 0 | tr 0 '\377' >cards/4-blank.pgm
echo "not an image" >cards/notes.txt
run "scan a directory" $T scan --images cards
same "one line per image, in name order" "$(printf '%s\n' "$OUT" | sed 's/:.*//' | tr '\n' ' ')" \
    "cards/1.png cards/2.png cards/3.pgm cards/4-blank.pgm "
has "a blank image says so" "4-blank.pgm: no QR code found"
head -c 300 new.png >broken.png
refuse "a truncated PNG is a clear error" "broken.png: damaged PNG" $T scan --images broken.png
refuse "a text file is not an image" "not a PNG, JPEG or PGM image" $T scan --images cards/notes.txt
refuse "a missing file says so" "missing.png: No such file" $T scan --images missing.png
refuse "the other images are still read" "Łukasz Nowak" $T scan --images missing.png new.png
refuse "scan needs --images" "--images" $T scan new.png
refuse "without a shop only --raw works" "tally init" env TALLY_DB=$WORK/none.db $T scan --images new.png
run "--raw needs no shop" env TALLY_DB=$WORK/none.db $T scan --raw --images new.png
same "--raw gives the new card's payload" "$OUT" "TALLY:$(printf '%s' "$NEW" | tr -d -)"

# --- a forgotten customer's card ------------------------------------------------------
M $T customer forget "$NEW" >/dev/null
run "scan a forgotten customer's card" $T scan --images new.png
has "it says forgotten, without a name" "(forgotten)"
