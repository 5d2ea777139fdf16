/* perks.c - what a tier gives beyond its multiplier.
 *
 * A reward or a promotion may be kept for a tier and those above it
 * (its "tier" field, store_tier_reaches in program.c); this file holds the
 * other perk: a tier's entry reward, the coupon a member gets on first
 * reaching that tier ('tier.entry', e.g. "Gold=reward:Large coffee,
 * Platinum=coupon:20%").
 *
 * Once per member and tier, at every till: the coupon's code is the
 * shop's keyed hash of the occasion "tier-entry:CUSTOMER:TIER"
 * (coupon_for_occasion, as a trigger's coupon), so two tills that both
 * see the member cross into Gold issue the same code, and the ledger
 * holds one coupon with one use. A member who falls back and climbs
 * again finds the same code already held: no second coupon. It is not a
 * message: it goes whether messages are on or off. */
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* "Gold=reward:ABC123,Platinum=percent:20": the entry of the tier named
 * tier, copied into offer; false when it has none. */
static bool entry_of(const char *canon, const char *tier, char *offer, size_t offersz)
{
    size_t n = strlen(tier);
    for (const char *p = canon; *p;) {
        const char *end = strchr(p, ',');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len > n && strncmp(p, tier, n) == 0 && p[n] == '=') {
            snprintf(offer, offersz, "%.*s", (int)(len - n - 1), p + n + 1);
            return true;
        }
        if (!end)
            break;
        p = end + 1;
    }
    return false;
}

int perks_entry_canonical(store *s, const char *key, const char *value, char *out, size_t outsz)
{
    char list[1024];
    out[0] = '\0';
    if (!*value || strcmp(value, "none") == 0)
        return 0;
    if (strlen(value) >= sizeof list)
        return store_fail(s, _("%s: the list is too long"), key);
    snprintf(list, sizeof list, "%s", value);
    char *save = NULL;
    for (char *part = strtok_r(list, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(part, '='), tier[64], offer[64], held[64];
        if (!eq)
            return store_fail(s, _("%s: give TIER=OFFER pairs, e.g. Gold=reward:Large coffee,Platinum=coupon:20%%"), key);
        *eq = '\0';
        if (tier_find(s, part, tier) < 0)
            return store_fail(s, _("%s: there is no tier called '%s'; 'tally program show' lists the tiers"), key,
                              part);
        if (entry_of(out, tier, held, sizeof held))
            return store_fail(s, _("%s: tier %s is given twice"), key, tier);
        const char *typed = eq + 1;
        while (*typed == ' ')   /* "Gold = reward:…, Platinum = …" */
            typed++;
        if (messages_offer_canonical(s, key, typed, offer, sizeof offer) != 0)
            return -1;
        if (!offer[0])
            return store_fail(s, _("%s: give each tier an offer: coupon:20%%, coupon:10.00 or reward:NAME"), key);
        size_t len = strlen(out);
        if (len + strlen(tier) + strlen(offer) + 3 > outsz)
            return store_fail(s, _("%s: the list is too long"), key);
        snprintf(out + len, outsz - len, "%s%s=%s", len ? "," : "", tier, offer);
    }
    return 0;
}

void perks_entry_display(store *s, const char *canon, char *out, size_t outsz)
{
    char list[1024];
    snprintf(list, sizeof list, "%s", canon);
    out[0] = '\0';
    char *save = NULL;
    for (char *part = strtok_r(list, ",", &save); part; part = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(part, '='), offer[256];
        if (!eq)
            continue;
        *eq = '\0';
        messages_offer_display(s, eq + 1, offer, sizeof offer);
        size_t len = strlen(out);
        snprintf(out + len, outsz - len, "%s%s=%s", len ? "," : "", part, offer);
    }
}

int perks_on_earn(store *s, const char *staff, const char *customer, const struct store_tier_status *before,
                  const struct store_tier_status *after, char code[16])
{
    char canon[1024], offer[64], occasion[160];
    struct store_coupon c;
    code[0] = '\0';
    if (!after->tier[0] || tier_index(s, after->tier) <= tier_index(s, before->tier))
        return 0;
    setting_text(s, "tier.entry", canon, sizeof canon);
    if (!entry_of(canon, after->tier, offer, sizeof offer) ||
        !messages_offer_coupon(s, offer, setting_int(s, "tier.entry_days"), &c))
        return 0;
    snprintf(c.customer, sizeof c.customer, "%s", customer);
    snprintf(occasion, sizeof occasion, "tier-entry:%s:%s", customer, after->tier);
    if (coupon_for_occasion(s, staff, occasion, &c) != 0)
        return -1;
    if (c.uses == 0)    /* not one used already, before the member fell back */
        snprintf(code, 16, "%s", c.code);
    return 0;
}
