/* labels.c - what people read for the codes the ledger keeps: event types,
 * the reasons the program itself records, segments and reward kinds. The ledger stores codes, not
 * a barista's language, so a void made at a Polish till reads in Hungarian
 * at the till next to it; each screen translates when it shows them. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "store.h"

const char *store_event_type_text(const char *type)
{
    /* A switch on the text, so each C_() is a literal xgettext can see. */
    if (!strcmp(type, "setting")) return C_("event", "rule change");
    if (!strcmp(type, "staff")) return C_("event", "staff change");
    if (!strcmp(type, "reward")) return C_("event", "reward change");
    if (!strcmp(type, "promo")) return C_("event", "promotion change");
    if (!strcmp(type, "coupon")) return C_("event", "coupon issued");
    if (!strcmp(type, "enrol")) return C_("event", "enrolment");
    if (!strcmp(type, "profile")) return C_("event", "profile change");
    if (!strcmp(type, "card")) return C_("event", "new card");
    if (!strcmp(type, "forget")) return C_("event", "forgotten");
    if (!strcmp(type, "earn")) return C_("event", "purchase");
    if (!strcmp(type, "redeem")) return C_("event", "reward given");
    if (!strcmp(type, "pay")) return C_("event", "paid with points");
    if (!strcmp(type, "refund")) return C_("event", "refund");
    if (!strcmp(type, "void")) return C_("event", "void");
    if (!strcmp(type, "adjust")) return C_("event", "adjustment");
    if (!strcmp(type, "bonus")) return C_("event", "bonus");
    if (!strcmp(type, "expire")) return C_("event", "expiry");
    if (!strcmp(type, "nps")) return C_("event", "NPS answer");
    if (!strcmp(type, "coupon_use")) return C_("event", "coupon used");
    if (!strcmp(type, "campaign")) return C_("event", "campaign");
    if (!strcmp(type, "campaign_member")) return C_("event", "in a campaign");
    if (!strcmp(type, "login_failed")) return C_("event", "wrong PIN");
    if (!strcmp(type, "login_unlock")) return C_("event", "unlocked after wrong PINs");
    if (!strcmp(type, "message")) return C_("event", "message to the customer");
    if (!strcmp(type, "template")) return C_("event", "message template change");
    return type;        /* a type this version does not know: as it is */
}

const char *store_reason_text(const char *reason)
{
    if (!strcmp(reason, STORE_REASON_TILL_UNDO))
        return _("undone at the till");
    if (!strcmp(reason, STORE_REASON_NO_CONSENT))
        return _("no consent");
    if (!strcmp(reason, STORE_REASON_TOLD))
        return _("told at the counter");
    if (!strcmp(reason, STORE_REASON_UNSENT))
        return _("not delivered before it expired");
    if (!strcmp(reason, STORE_REASON_FORGOTTEN))
        return _("the customer asked to be forgotten");
    if (!strcmp(reason, STORE_REASON_OPTED_OUT))
        return _("opted out of this channel");
    if (!strcmp(reason, STORE_REASON_NO_ADDRESS))
        return _("no address to send to");
    if (!strcmp(reason, STORE_REASON_CAPPED))
        return _("weekly limit of messages reached");
    if (!strcmp(reason, STORE_REASON_CUSTOMER_OPT_OUT))
        return _("the customer opted out (a reply STOP, an unsubscribe mail or link)");
    if (!strcmp(reason, STORE_REASON_RESENT))
        return _("sent after an interrupted attempt: it may have arrived twice, with the same Message-ID");
    return reason;
}

const char *store_effect_text(const struct store_event *ev, char *out, size_t outsz)
{
    /* TRANSLATORS: an event's effect in a history line: points, then
     * stamps, each with its sign ("+12 pt  +1 st"); keep it short. */
    snprintf(out, outsz, _("%+5" PRId64 " pt %+3" PRId64 " st"), ev->points, ev->stamps);
    return out;
}

const char *store_segment_text(const char *code)
{
    if (!strcmp(code, "new")) return C_("segment", "new");
    if (!strcmp(code, "lapsed")) return C_("segment", "lapsed");
    if (!strcmp(code, "at-risk")) return C_("segment", "at risk");
    if (!strcmp(code, "high-value")) return C_("segment", "high value");
    if (!strcmp(code, "regular")) return C_("segment", "regular");
    if (!strcmp(code, "occasional")) return C_("segment", "occasional");
    return code;
}

const char *store_reward_kind_text(const char *kind)
{
    if (!strcmp(kind, "reward")) return C_("reward kind", "reward");
    if (!strcmp(kind, "coupon")) return C_("reward kind", "coupon");
    if (!strcmp(kind, "points")) return C_("reward kind", "points");
    if (!strcmp(kind, "credit")) return C_("reward kind", "credit");
    return kind;
}

const char *store_reward_row_text(const struct store_reward_row *r)
{
    if (!strcmp(r->kind, "points"))
        return _("points as payment");
    if (!strcmp(r->kind, "credit"))
        return _("store credit spent");
    if (!strcmp(r->kind, "coupon") && !strcmp(r->name, "amount"))
        return _("amount off");
    if (!strcmp(r->kind, "coupon") && !strcmp(r->name, "percent"))
        return _("percentage off");
    return r->name[0] ? r->name : r->id[0] ? r->id : store_reward_kind_text(r->kind);
}
