#!/bin/sh
# Tier perks from the command line: a reward and a promotion kept for a
# tier (--tier), refused or not counted below it, listed with their tier;
# tier.entry's coupon on reaching a tier; the rewards report's tier.
. "$(dirname "$0")/lib.sh"
T=$TALLY
new_shop
M $T program set tiers "Silver:0:1,Gold:100:1.5" >/dev/null

refuse "a perk of a tier that does not exist is refused" "no tier called 'Bronze'" \
    M $T reward add "Free upgrade" --points 1 --tier Bronze
refuse "a barista cannot add a perk" "manager" B $T reward add "Free upgrade" --points 1 --tier Gold
same "nothing was written" "$(sql "SELECT count(*) FROM rewards")" 0
run "a manager adds a reward for Gold and above" M $T reward add "Free upgrade" --points 1 --tier gold
has "it says for whom, as the tiers spell it" "for Gold and above"
M $T reward add "Cookie" --points 5 >/dev/null
run "reward list" $T reward list
has "lists the perk's tier" "Free upgrade .*Gold and above"
run "reward list as JSON" $T --format json reward list
has "JSON has the tier" '"name":"Free upgrade","points":1,"stamps":0,"retired":false,"tier":"Gold"'
has "and an empty one for everyone's" '"name":"Cookie","points":5,"stamps":0,"retired":false,"tier":""'
refuse "a promotion of an unknown tier is refused" "no tier called" M $T promo add "Gold week" --multiplier 2 --tier Gild
run "a manager adds a promotion for Gold" M $T promo add "Gold week" --multiplier 2 --tier Gold
run "promo list" $T promo list
has "lists the promotion's tier" "Gold week .*Gold and above"
run "promo list as JSON" $T --format json promo list
has "JSON has it" '"tier":"Gold"'
refuse "tier.entry names real tiers" "no tier called 'Platinum'" M $T program set tier.entry "Platinum=coupon:20%"
run "tier.entry: Gold's entry reward" M $T program set tier.entry "gold=reward:Free upgrade"
run "program show" $T program show
has "shows it" "tier.entry  *Gold=reward:Free upgrade"

CARD=$(B $T customer add --name "Ana Nowak" | sed -n 's/.*Card code: //p')
run "a Silver purchase" B $T earn "$CARD" 50
has "earns x1: no Gold promotion" "+50 points"
refuse "a Silver member cannot have Gold's perk" \
    "Free upgrade is a perk of Gold and the tiers above it; this customer is Silver" B $T redeem "$CARD" "free upgrade"
refuse "said in Polish too" "jest przywilejem poziomu Gold" B $T --lang pl redeem "$CARD" "free upgrade"
same "no redemption was written" "$(sql "SELECT count(*) FROM events WHERE type = 'redeem'")" 0
run "customer show" $T customer show "$CARD"
if printf '%s\n' "$OUT" | grep -q "Free upgrade"; then fail "Gold's perk is among a Silver member's rewards"; else pass "Gold's perk is not among a Silver member's rewards"; fi
run "an ordinary reward still goes" B $T redeem "$CARD" cookie

run "the purchase that crosses into Gold" B $T earn "$CARD" 60
has "is still Silver's: x1, no promotion" "+60 points"
has "it says so" "New tier: Gold!"
has "and gives Gold's entry coupon" "Coupon for reaching Gold: [0-9A-Z]\{4\}-[0-9A-Z]\{4\}"
CODE=$(printf '%s\n' "$OUT" | sed -n 's/Coupon for reaching Gold: //p')
run "customer show" $T customer show "$CARD"
has "marks the perk among the rewards" "Free upgrade (Gold perk)"
has "and lists the coupon" "$CODE  Free upgrade"
run "coupon list" M $T coupon list
has "names the coupon's reward, not its id" "^$CODE  Free upgrade "
run "a Gold member has the perk" B $T redeem "$CARD" "free upgrade"
run "and uses the entry coupon" B $T coupon redeem "$CODE" --card "$CARD"
has "which gives the perk" "give Free upgrade"
run "a Gold purchase" B $T --format json earn "$CARD" 10
has "earns x1.5 and Gold's x2" '"points":30'
has "with no second entry coupon" '"tier_coupon":""'

run "the rewards report" M $T report rewards --last 1d --format csv
has "names the perk's tier in its last column" "^reward,[0-9a-f]*,Free upgrade,1,.*,Gold$"
has "for the entry coupon's use too" "^coupon,[0-9a-f]*,Free upgrade,1,.*,Gold$"
has "and none for everyone's" "^reward,[0-9a-f]*,Cookie,1,.*,$"
