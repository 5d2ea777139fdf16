/* cmd_customer.c - tally customer add|find|show|edit|forget|export. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "scanner/scanner.h"

static const char USAGE[] = N_(
    "Usage: tally customer add --name NAME [--phone P] [--email E] [--birthday YYYY-MM-DD|MM-DD]\n"
    "                          [--consent yes|no] [--referred-by CARD]\n"
    "                          [--language en|pl|ro|hu] [--consent-email yes|no] [--consent-sms yes|no]\n"
    "       tally customer find TEXT            name (any case and accents), phone, card or id\n"
    "       tally customer show CARD\n"
    "       tally customer edit CARD [--name ..] [--phone ..] [--email ..] [--birthday ..] [--consent ..]\n"
    "                          [--language ..] [--consent-email ..] [--consent-sms ..]\n"
    "       tally customer forget CARD          (manager) erase personal data, keep amounts\n"
    "       tally customer export CARD          everything held about the customer, as JSON\n\n"
    "CARD is a card code (QR text or the printed form), a phone number or a\n"
    "customer id. 'add' prints the new card's code; marketing consent is 'no'\n"
    "unless the customer says yes. Messages (see 'tally message --help') go in\n"
    "the customer's --language, and need marketing consent: by e-mail or SMS\n"
    "also --consent-email or --consent-sms, each recorded with when and by whom.\n");

static int consent_of(const char *v, int *out)
{
    if (!v) {
        *out = -1;
        return 0;
    }
    if (strcmp(v, "yes") == 0 || strcmp(v, "y") == 0 || strcmp(v, "1") == 0)
        *out = 1;
    else if (strcmp(v, "no") == 0 || strcmp(v, "n") == 0 || strcmp(v, "0") == 0)
        *out = 0;
    else
        return cli_fail(_("--consent is 'yes' or 'no'"));
    return 0;
}

static int customer_json(struct cli *c, struct jbuf *jb, const struct store_customer *cu)
{
    unsigned char secret[STORE_SECRET_BYTES];
    char human[CARD_HUMAN_MAX] = "";
    if (store_shop_secret(c->s, secret) == 0)
        card_encode(secret, cu->card, human, NULL);
    int digits = store_currency_digits(c->s);
    jb_obj_begin(jb);
    jb_key_str(jb, "id", cu->id);
    jb_key_str(jb, "card", human);
    jb_key_str(jb, "name", cu->name);
    jb_key_str(jb, "phone", cu->phone);
    jb_key_str(jb, "email", cu->email);
    jb_key_str(jb, "birthday", cu->birthday);
    jb_key_bool(jb, "consent", cu->consent);
    struct store_contact k;
    if (store_customer_contact(c->s, cu->id, &k) == 0) {
        jb_key_str(jb, "language", k.language);
        jb_key_bool(jb, "consent_email", k.email);
        jb_key_bool(jb, "consent_sms", k.sms);
    }
    jb_key_int(jb, "points", cu->points);
    jb_key_int(jb, "stamps", cu->stamps);
    jb_key_money(jb, "credit", cu->credit, digits);
    jb_key_money(jb, "spend", cu->spend, digits);
    jb_key_int(jb, "visits", cu->visits);
    jb_key_int(jb, "last_visit", cu->last_visit);
    return 0;
}

/* The profile typed as options; consent was read by customer_check. */
static struct store_profile profile_of(const struct cmd_args *a)
{
    return (struct store_profile){
        .name = cmd_opt(a, "name"), .phone = cmd_opt(a, "phone"), .email = cmd_opt(a, "email"),
        .birthday = cmd_opt(a, "birthday"), .consent = (int)a->number[0], .referred_by = cmd_opt(a, "referred-by"),
        .language = cmd_opt(a, "language"), .consent_email = cmd_opt(a, "consent-email"),
        .consent_sms = cmd_opt(a, "consent-sms") };
}

static int add_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (!cmd_opt(a, "name"))
        return cli_fail(_("a new customer needs a name: --name NAME")), 2;
    return 0;
}

static int add(struct cli *c, struct cmd_args *a)
{
    struct store_profile p = profile_of(a);
    struct store_customer cu;
    unsigned char secret[STORE_SECRET_BYTES];
    char card[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX], qr[CARD_QR_MAX];
    p.referred_by = a->cu ? a->cu->id : NULL;   /* found after the login */
    if (store_shop_secret(c->s, secret) != 0)
        return cli_store_fail(c);
    /* A random id can collide with one in use (rarely); draw again. */
    for (int tries = 0;; tries++) {
        if (card_make(secret, card) != 0)
            return cli_fail(_("cannot make a card code"));
        if (store_customer_by_card(c->s, card, &cu) == STORE_CARD_UNKNOWN)
            break;
        if (tries > 10)
            return cli_fail(_("cannot make a card code"));
    }
    p.card = card;
    if (store_customer_add(c->s, c->who.id, &p, &cu) != 0)
        return cli_store_fail(c);
    card_encode(secret, card, human, qr);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        customer_json(c, &jb, &cu);
        jb_key_str(&jb, "qr", qr);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("Enrolled %s. Card code: %s\n"), cu.name, human);
    if (cu.points)
        printf(ngettext("Welcome bonus: %" PRId64 " point.\n", "Welcome bonus: %" PRId64 " points.\n", i18n_n(cu.points)),
               cu.points);
    return 0;
}

/* The table of 'customer find'; the last visit's cell starts with a space:
 * two before it, after the right-aligned balance. */
static const struct out_col FOUND_COLS[] = {
    { "name", NULL, OUT_TEXT, false }, { "phone", NULL, OUT_TEXT, false }, { "card", NULL, OUT_TEXT, false },
    { "points", NULL, OUT_NUM, false }, { "last_visit", NULL, OUT_TEXT, false },
};
static const int FOUND_WIDTHS[] = { 28, 16, 24, 14, 0 };

struct found_out { struct cli *c; struct jbuf *jb; struct out *o; };

static int print_found(const struct store_customer *cu, void *arg)
{
    struct found_out *fo = arg;
    struct cli *c = fo->c;
    struct jbuf *jb = fo->jb;
    if (jb) {
        customer_json(c, jb, cu);
        jb_obj_end(jb);
        return 0;
    }
    unsigned char secret[STORE_SECRET_BYTES];
    char human[CARD_HUMAN_MAX] = "", last[32] = " -";
    if (store_shop_secret(c->s, secret) == 0)
        card_encode(secret, cu->card, human, NULL);
    if (cu->last_visit)
        cli_time(cu->last_visit, last + 1, sizeof last - 1);
    /* The balance in words ("120 punktów"), right-aligned by what it shows. */
    char points[64];
    snprintf(points, sizeof points, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(cu->points)),
             cu->points);
    out_row(fo->o, (struct out_val[]){ { 0, cu->name }, { 0, cu->phone }, { 0, human }, { 0, points }, { 0, last } });
    return 0;
}

struct show { struct cli *c; struct jbuf *jb; const struct store_customer *cu; const char *tier; };

static int show_reward(const struct store_reward *r, void *arg)
{
    struct show *s = arg;
    bool affordable = (r->points && s->cu->points >= r->points) || (r->stamps && s->cu->stamps >= r->stamps);
    if (!affordable || !store_tier_reaches(s->c->s, s->tier, r->tier))
        return 0;
    if (s->jb) {
        jb_str(s->jb, r->name);
        return 0;
    }
    if (r->tier[0])
        /* TRANSLATORS: a reward only a tier may have: "Free upgrade (Gold perk)". */
        printf(_("  %s (%s perk)\n"), r->name, r->tier);
    else
        printf("  %s\n", r->name);
    return 0;
}

static int show_coupon(const struct store_coupon *cp, void *arg)
{
    struct show *s = arg;
    char what[128], amount[MONEY_BUFSZ], until[32];
    if (cp->uses > 0)
        return 0;
    if (s->jb) {
        jb_str(s->jb, cp->code);
        return 0;
    }
    if (cp->reward[0]) {
        struct store_reward r;
        snprintf(what, sizeof what, "%.127s", store_reward_get(s->c->s, cp->reward, &r) == 0 ? r.name : cp->reward);
    } else if (cp->percent)
        snprintf(what, sizeof what, _("%" PRId64 "%% off"), cp->percent);
    else
        snprintf(what, sizeof what, _("%s off"), cli_amount(s->c, cp->discount, amount));
    cli_time(cp->expires, until, sizeof until);
    printf(_("  %.4s-%.4s  %s, until %.10s\n"), cp->code, cp->code + 4, what, until);
    return 0;
}

static int show_event(const struct store_event *ev, void *arg)
{
    struct show *s = arg;
    char when[32], amount[MONEY_BUFSZ] = "";
    cli_time(ev->wall, when, sizeof when);
    if (ev->spend)
        cli_amount(s->c, ev->spend, amount);
    char effect[64];
    const char *type = store_event_type_text(ev->type);
    /* Padded by columns, not bytes: "zakup", "vásárlás" and "răscumpărare" line up. */
    printf("  %s  %s:%-6" PRId64 " %-*s %s  %s %s\n", when, ev->origin, ev->seq,
           16 + (int)strlen(type) - utf8_width(type), type, store_effect_text(ev, effect, sizeof effect), amount,
           store_reason_text(ev->reason));
    return 0;
}

/* Language and consent per channel, with when and by whom. */
static void show_contact(struct cli *c, const char *id)
{
    struct store_contact k;
    if (store_customer_contact(c->s, id, &k) != 0)
        return;
    printf(k.language_set ? _("Language of messages: %s\n") : _("Language of messages: %s (the shop's)\n"), k.language);
    const char *const label[2] = { _("E-mail"), _("SMS") };
    const bool ok[2] = { k.email, k.sms };
    const int64_t at[2] = { k.email_at, k.sms_at };
    const char *const by[2] = { k.email_by, k.sms_by };
    for (int i = 0; i < 2; i++) {
        if (!at[i]) {
            printf(_("%s offers: %s (never asked)\n"), label[i], _("no"));
            continue;
        }
        char when[32];
        struct store_staff who;
        cli_time(at[i], when, sizeof when);
        printf(_("%s offers: %s (since %s, recorded by %s)\n"), label[i], ok[i] ? _("yes") : _("no"), when,
               !by[i][0] ? _("the customer") : store_staff_get(c->s, by[i], &who) == 0 ? who.name : "-");
    }
}

static int show(struct cli *c, struct cmd_args *a)
{
    const struct store_customer *cu = a->cu;
    struct store_tier_status t;
    if (store_customer_tier(c->s, cu->id, &t) != 0)
        return cli_store_fail(c);
    struct show s = { c, NULL, cu, t.tier };
    char amount[MONEY_BUFSZ], last[32] = "-";
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        s.jb = &jb;
        customer_json(c, &jb, cu);
        jb_key_str(&jb, "tier", t.tier);
        jb_key_str(&jb, "next_tier", t.next);
        jb_key_money(&jb, "to_next_tier", t.to_next, store_currency_digits(c->s));
        jb_key(&jb, "rewards_available");
        jb_arr_begin(&jb);
        store_reward_list(c->s, false, show_reward, &s);
        jb_arr_end(&jb);
        jb_key(&jb, "coupons");
        jb_arr_begin(&jb);
        store_coupon_list(c->s, cu->id, show_coupon, &s);
        jb_arr_end(&jb);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    unsigned char secret[STORE_SECRET_BYTES];
    char human[CARD_HUMAN_MAX] = "";
    if (store_shop_secret(c->s, secret) == 0)
        card_encode(secret, cu->card, human, NULL);
    if (cu->last_visit)
        cli_time(cu->last_visit, last, sizeof last);
    printf(_("%s   card %s   id %s\n"), cu->name, human, cu->id);
    if (cu->phone[0] || cu->email[0])
        printf(_("Phone %s   email %s\n"), cu->phone[0] ? cu->phone : "-", cu->email[0] ? cu->email : "-");
    if (cu->birthday[0])
        printf(_("Birthday %s\n"), cu->birthday);
    printf(_("Marketing consent: %s\n"), cu->consent ? _("yes") : _("no"));
    show_contact(c, cu->id);
    printf(_("Points %" PRId64 "   stamps %" PRId64 "   store credit %s\n"), cu->points, cu->stamps,
           cli_amount(c, cu->credit, amount));
    if (cu->points < 0)
        printf(_("Overdraft: the balance is negative; no redemptions until it is positive.\n"));
    printf(_("Visits %" PRId64 "   last visit %s   spent %s\n"), cu->visits, last, cli_amount(c, cu->spend, amount));
    if (t.next[0])
        printf(_("Tier %s: %s more to reach %s\n"), t.tier[0] ? t.tier : "-", cli_amount(c, t.to_next, amount), t.next);
    else
        printf(_("Tier %s (the top tier)\n"), t.tier);
    printf(_("Rewards available now:\n"));
    store_reward_list(c->s, false, show_reward, &s);
    printf(_("Coupons:\n"));
    store_coupon_list(c->s, cu->id, show_coupon, &s);
    printf(_("Recent history:\n"));
    struct store_event_filter f = { .customer = cu->id, .limit = 10 };
    store_list_events(c->s, &f, show_event, &s);
    return 0;
}

static int find(struct cli *c, struct cmd_args *a)
{
    struct jbuf jb;
    struct out o;
    struct found_out fo = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, FOUND_COLS, FOUND_WIDTHS, NCOLS(FOUND_COLS));
    int found = store_customer_find(c->s, a->pos[0], 50, print_found, &fo);
    if (found == 0 && !c->json) {
        out_end(&o, 1, NULL, NULL);
        jb_free(&jb);
        return cli_fail(_("no customer matches '%s'"), a->pos[0]);
    }
    return out_list_end(&o, &jb, found < 0 ? -1 : 0);
}

static int export(struct cli *c, struct cmd_args *a)
{
    char *json;
    if (store_customer_export(c->s, a->cu->id, &json) != 0)
        return cli_store_fail(c);
    printf("%s\n", json);
    free(json);
    return 0;
}

static int edit_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    struct store_profile p = profile_of(a);
    if (p.referred_by)
        return cli_fail(_("who referred a customer cannot change after enrolment")), 2;
    if (!p.name && !p.phone && !p.email && !p.birthday && p.consent < 0 && !p.language && !p.consent_email &&
        !p.consent_sms)
        return cli_fail(_("say what to change: --name, --phone, --email, --birthday, --consent, --language,"
                          " --consent-email or --consent-sms")), 2;
    return 0;
}

static int edit(struct cli *c, struct cmd_args *a)
{
    struct store_profile p = profile_of(a);
    if (store_customer_edit(c->s, c->who.id, a->cu->id, &p) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Saved.\n"));
    return 0;
}

static int forget(struct cli *c, struct cmd_args *a)
{
    if (store_customer_forget(c->s, c->who.id, a->cu->id) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Personal data erased; the amounts stay in the ledger.\n"));
    return 0;
}

/* --consent, for every verb, into a->number[0] (-1: not given). */
static int customer_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    int consent = -1;
    if (consent_of(cmd_opt(a, "consent"), &consent) != 0)
        return 2;
    a->number[0] = consent;
    return 0;
}

/* Every verb but add names one customer (find: any text). */
#define ONE_CUSTOMER .min = 1, .max = 1, .count_error = N_("say which customer: a card code, phone number or id")
static const struct cmd_entry CUSTOMER_VERBS[] = {
    { .name = "add", .count_error = N_("give the name with --name"), .check = add_check, .login = CMD_STAFF,
      .customer_opt = "referred-by", .run = add },
    { .name = "find", ONE_CUSTOMER, .run = find },
    { .name = "show", ONE_CUSTOMER, .customer_arg = true, .run = show },
    { .name = "export", ONE_CUSTOMER, .customer_arg = true, .run = export },
    { .name = "edit", ONE_CUSTOMER, .check = edit_check, .customer_arg = true, .customer_first = true,
      .login = CMD_STAFF, .run = edit },
    { .name = "forget", ONE_CUSTOMER, .customer_arg = true, .customer_first = true, .login = CMD_MANAGER,
      .run = forget },
    { 0 } };

const struct cmd_entry cmd_customer_entry = {
    .name = "customer", .summary = N_("add, find, show, edit, forget or export customers"), .usage = USAGE,
    .options = "name= phone= email= birthday= consent= referred-by= language= consent-email= consent-sms=",
    .min = 1, .max = 2, .count_error = N_("say add, find, show, edit, forget or export; see 'tally customer --help'"),
    .check = customer_check, .store = CMD_OPEN, .verbs = CUSTOMER_VERBS,
};
