/* cmd_ledger.c - transactions: earn, redeem, pay, refund, void, adjust,
 * nps, coupon. Each prints what happened and the new balance. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

/* The outcome of a transaction, for people or as JSON. */
static int report(struct cli *c, const char *customer, const struct store_result *r)
{
    struct store_customer cu;
    if (store_customer_get(c->s, customer, &cu) != 0)
        return cli_store_fail(c);
    char amount[MONEY_BUFSZ];
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_str(&jb, "event", r->ref);
        jb_key_int(&jb, "points", r->points);
        jb_key_int(&jb, "stamps", r->stamps);
        jb_key_money(&jb, "credit", r->credit, store_currency_digits(c->s));
        jb_key_money(&jb, "discount", r->discount, store_currency_digits(c->s));
        jb_key_int(&jb, "bonus_points", r->bonus_points);
        jb_key_int(&jb, "expired_points", r->expired_points);
        jb_key_str(&jb, "tier", r->tier_after);
        jb_key_str(&jb, "tier_coupon", r->tier_coupon);
        jb_key(&jb, "balance");
        jb_obj_begin(&jb);
        jb_key_int(&jb, "points", cu.points);
        jb_key_int(&jb, "stamps", cu.stamps);
        jb_key_money(&jb, "credit", cu.credit, store_currency_digits(c->s));
        jb_obj_end(&jb);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    char pts[64], sts[64];
    snprintf(pts, sizeof pts, ngettext("%+" PRId64 " point", "%+" PRId64 " points", i18n_n(r->points)), r->points);
    snprintf(sts, sizeof sts, ngettext("%+" PRId64 " stamp", "%+" PRId64 " stamps", i18n_n(r->stamps)), r->stamps);
    /* TRANSLATORS: "Event 3fa2c1d9:42: +12 points, +1 stamp": the parts are
     * the messages "%+d points" and "%+d stamps". */
    printf(_("Event %s: %s, %s"), r->ref, pts, sts);
    if (r->credit)
        printf(_(", %s store credit"), cli_amount(c, r->credit, amount));
    printf("\n");
    if (r->discount)
        printf(_("Discount: %s\n"), cli_amount(c, r->discount, amount));
    if (r->expired_points)
        printf(ngettext("%" PRId64 " old point expired first.\n", "%" PRId64 " old points expired first.\n",
                        i18n_n(r->expired_points)), r->expired_points);
    if (r->bonus_points)
        printf(ngettext("Bonus: %" PRId64 " point (birthday or referral).\n", "Bonus: %" PRId64 " points (birthday or referral).\n",
                        i18n_n(r->bonus_points)), r->bonus_points);
    if (r->tier_after[0] && strcmp(r->tier_after, r->tier_before) != 0 && r->tier_before[0] != '\0')
        printf(_("New tier: %s!\n"), r->tier_after);
    if (r->tier_coupon[0])
        /* TRANSLATORS: the coupon a member gets on reaching a tier (tier.entry). */
        printf(_("Coupon for reaching %s: %.4s-%.4s\n"), r->tier_after, r->tier_coupon, r->tier_coupon + 4);
    snprintf(pts, sizeof pts, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(cu.points)), cu.points);
    snprintf(sts, sizeof sts, ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(cu.stamps)), cu.stamps);
    /* TRANSLATORS: "Ola now has 64 points, 3 stamps, 1.20 zł store credit.":
     * the counts are the messages "%d points" and "%d stamps". */
    printf(_("%s now has %s, %s, %s store credit.\n"), cu.name, pts, sts, cli_amount(c, cu.credit, amount));
    return 0;
}

/* --override REASON: a manager passes an abuse limit. The manager logs in
 * as the acting staff member. */
static int override_of(struct cli *c, const char *reason, struct store_override *ov)
{
    if (!reason)
        return 0;
    if (c->who.role != ROLE_MANAGER)
        return cli_fail(_("--override needs a manager's login"));
    ov->manager = c->who.id;
    ov->reason = reason;
    return 0;
}

static int earn(struct cli *c, struct cmd_args *a)
{
    const char *items = cmd_opt(a, "items"), *override = cmd_opt(a, "override");
    struct store_earn e = { .category = cmd_opt(a, "category") };
    struct store_override ov;
    struct store_result r;
    if (cli_money(c, a->pos[1], &e.amount) != 0)
        return 1;
    if (items) {
        int64_t k;
        if (decimal_parse(items, 0, 1, 1000, &k) != 0)
            return cli_fail(_("--items takes a whole number from 1 to 1000")), 2;
        e.items = (int)k;
    }
    if (override_of(c, override, &ov) != 0)
        return 1;
    e.override = override ? &ov : NULL;
    if (store_earn(c->s, c->who.id, a->cu->id, &e, &r) != 0)
        return cli_store_fail(c);
    return report(c, a->cu->id, &r);
}

const struct cmd_entry cmd_earn_entry = {
    .name = "earn", .summary = N_("record a purchase: the customer earns points and stamps"),
    .usage = N_("Usage: tally earn CARD AMOUNT [--items N] [--category NAME] [--override REASON]\n\n"
        "Records a purchase of AMOUNT (12.50 or 12,50): the customer earns points\n"
        "(points.per_unit x tier multiplier x promotion), stamps (per purchase or\n"
        "per item, for the stamp categories) and cashback credit. Birthday and\n"
        "referral bonuses are granted here, once. A manager may pass an abuse\n"
        "limit with --override and a reason.\n"),
    .options = "items= category= override=", .min = 2, .max = 2,
    .count_error = N_("give a card and an amount: tally earn CARD AMOUNT"),
    .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true, .run = earn,
};

static int redeem(struct cli *c, struct cmd_args *a)
{
    const char *override = cmd_opt(a, "override");
    struct store_override ov;
    struct store_result r;
    if (override_of(c, override, &ov) != 0)
        return 1;
    char state[160];
    if (cli_offline(c, state, sizeof state))
        fprintf(stderr, _("tally: warning: %s; spending points is limited to offline.redeem_limit a day per customer\n"), state);
    if (store_redeem(c->s, c->who.id, a->cu->id, a->pos[1], override ? &ov : NULL, &r) != 0)
        return cli_store_fail(c);
    return report(c, a->cu->id, &r);
}

const struct cmd_entry cmd_redeem_entry = {
    .name = "redeem", .summary = N_("give a reward from the catalog for points or stamps"),
    .usage = N_("Usage: tally redeem CARD REWARD [--override REASON]\n\n"
        "Gives the customer a reward from the catalog (by id or name), paid with\n"
        "points or stamps. A negative balance cannot redeem.\n"),
    .options = "override=", .min = 2, .max = 2,
    .count_error = N_("give a card and a reward: tally redeem CARD REWARD"),
    .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true, .run = redeem,
};

/* Points, or --credit alone: the count depends on the option. */
static int pay_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (a->n != (cmd_opt(a, "credit") ? 1 : 2))
        return cli_fail(_("give a card and points, or a card and --credit AMOUNT")), 2;
    return 0;
}

static int pay(struct cli *c, struct cmd_args *a)
{
    const char *credit = cmd_opt(a, "credit");
    struct store_result r;
    cli_offline(c, NULL, 0);
    if (credit) {
        int64_t amount;
        if (cli_money(c, credit, &amount) != 0)
            return 1;
        if (store_pay_credit(c->s, c->who.id, a->cu->id, amount, &r) != 0)
            return cli_store_fail(c);
    } else {
        int64_t points;
        if (decimal_parse(a->pos[1], 0, 1, 1000000000, &points) != 0)
            return cli_fail(_("give a whole number of points greater than zero")), 2;
        if (store_pay_points(c->s, c->who.id, a->cu->id, points, &r) != 0)
            return cli_store_fail(c);
    }
    return report(c, a->cu->id, &r);
}

const struct cmd_entry cmd_pay_entry = {
    .name = "pay", .summary = N_("pay part of a purchase with points or store credit"),
    .usage = N_("Usage: tally pay CARD POINTS\n"
        "       tally pay CARD --credit AMOUNT\n\n"
        "Pays part of a purchase with points (worth 1 currency unit per\n"
        "points.pay_rate points) or with cashback store credit, and prints the\n"
        "discount to give.\n"),
    .options = "credit=", .min = 0, .max = 2, .check = pay_check,
    .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true, .run = pay,
};

/* The customer of an event just corrected, for the report of its outcome. */
static int report_corrected(struct cli *c, const char *ref, const struct store_result *r)
{
    struct store_event ev;
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t seq;
    store_parse_event_ref(ref, origin, &seq);
    if (store_get_event(c->s, origin, seq, &ev) != 0)
        return cli_store_fail(c);
    return report(c, ev.customer, r);
}

static int refund(struct cli *c, struct cmd_args *a)
{
    int64_t amount = 0;
    if (a->n == 2 && cli_money(c, a->pos[1], &amount) != 0)
        return 1;
    struct store_result r;
    if (store_refund(c->s, c->who.id, a->pos[0], amount, cmd_opt(a, "reason"), &r) != 0)
        return cli_store_fail(c);
    return report_corrected(c, a->pos[0], &r);
}

const struct cmd_entry cmd_refund_entry = {
    .name = "refund", .summary = N_("refund a purchase in full or in part"),
    .usage = N_("Usage: tally refund EVENT [AMOUNT] [--reason TEXT]\n\n"
        "Refunds a purchase (an earn event, e.g. 3fa2c1d9:42) in full or by\n"
        "AMOUNT, and takes back the points, stamps and credit it earned in\n"
        "proportion. Several partial refunds never take back more than the\n"
        "purchase gave.\n"),
    .options = "reason=", .min = 1, .max = 2,
    .count_error = N_("give the purchase's event, e.g. tally refund 3fa2c1d9:42"),
    .store = CMD_OPEN, .login = CMD_STAFF, .run = refund,
};

static int void_event(struct cli *c, struct cmd_args *a)
{
    struct store_result r;
    if (store_void(c->s, c->who.id, a->pos[0], cmd_opt(a, "reason"), &r) != 0)
        return cli_store_fail(c);
    return report_corrected(c, a->pos[0], &r);
}

const struct cmd_entry cmd_void_entry = {
    .name = "void", .summary = N_("cancel a transaction with a compensating event"),
    .usage = N_("Usage: tally void EVENT --reason TEXT\n\n"
        "Cancels a transaction (earn, redeem, pay, refund, adjust, bonus) with a\n"
        "compensating event. Staff may undo their own transaction within\n"
        "undo.minutes; anything else needs a manager.\n"),
    .options = "reason=", .min = 1, .max = 1, .required = "reason",
    .count_error = N_("give the event and a reason: tally void EVENT --reason TEXT"),
    .store = CMD_OPEN, .login = CMD_STAFF, .run = void_event,
};

/* "+50" or "-20" (a bare 50 adds), into a->number[0]. */
static int adjust_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *num = a->pos[1];
    bool negative = num[0] == '-';
    if (num[0] == '+' || num[0] == '-')
        num++;
    if (decimal_parse(num, 0, 1, 1000000000, &a->number[0]) != 0)
        return cli_fail(_("give the points as a whole number like +50 or -20")), 2;
    if (negative)
        a->number[0] = -a->number[0];
    return 0;
}

static int adjust(struct cli *c, struct cmd_args *a)
{
    struct store_result r;
    if (store_adjust(c->s, c->who.id, a->cu->id, a->number[0], 0, cmd_opt(a, "reason"), &r) != 0)
        return cli_store_fail(c);
    return report(c, a->cu->id, &r);
}

const struct cmd_entry cmd_adjust_entry = {
    .name = "adjust", .summary = N_("add or remove points by hand (manager)"),
    .usage = N_("Usage: tally adjust CARD +POINTS|-POINTS --reason TEXT   (manager)\n\n"
        "Adds or removes points by hand, e.g. to make good a mistake.\n"),
    .options = "reason=", .min = 2, .max = 2, .required = "reason",
    .count_error = N_("give a card, points and a reason: tally adjust CARD +50 --reason TEXT"),
    .check = adjust_check, .store = CMD_OPEN, .login = CMD_MANAGER, .customer_arg = true, .run = adjust,
};

static int nps_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (decimal_parse(a->pos[1], 0, 0, 10, &a->number[0]) != 0)
        return cli_fail(_("the score is a whole number from 0 to 10")), 2;
    return 0;
}

static int nps(struct cli *c, struct cmd_args *a)
{
    int score = (int)a->number[0];
    if (store_nps(c->s, c->who.id, a->cu->id, score) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Thank you: score %d recorded.\n"), score);
    return 0;
}

const struct cmd_entry cmd_nps_entry = {
    .name = "nps", .summary = N_("record a customer's 0-10 answer to 'would you recommend us?'"),
    .usage = N_("Usage: tally nps CARD SCORE\n\n"
        "Records the customer's answer, 0 to 10, to 'How likely are you to\n"
        "recommend us to a friend?'.\n"),
    .min = 2, .max = 2, .count_error = N_("give a card and a score from 0 to 10"),
    .check = nps_check, .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true, .run = nps,
};

/* The table of 'coupon list': the code with the two spaces after it, the
 * offer, whose it is, the day it ends, whether it was used. */
static const struct out_col COUPON_COLS[] = {
    { "code", NULL, OUT_TEXT, false }, { "offer", NULL, OUT_TEXT, false }, { "customer", NULL, OUT_TEXT, false },
    { "until", NULL, OUT_TEXT, false }, { "used", NULL, OUT_TEXT, false },
};
static const int COUPON_WIDTHS[] = { 10, 20, 12, 0, 0 };

struct coupon_out { struct cli *c; struct jbuf *jb; struct out *o; };

static int print_coupon(const struct store_coupon *cp, void *arg)
{
    struct coupon_out *co = arg;
    struct cli *c = co->c;
    struct jbuf *jb = co->jb;
    char until[32], what[STORE_TEXT_MAX * 4 + 1];
    if (jb) {
        jb_obj_begin(jb);
        jb_key_str(jb, "code", cp->code);
        jb_key_str(jb, "customer", cp->customer);
        jb_key_str(jb, "reward", cp->reward);
        jb_key_money(jb, "discount", cp->discount, store_currency_digits(c->s));
        jb_key_int(jb, "percent", cp->percent);
        jb_key_int(jb, "expires", cp->expires);
        jb_key_int(jb, "uses", cp->uses);
        jb_obj_end(jb);
        return 0;
    }
    struct store_offer o;   /* the reward's name, "20% off", "10,00 zł off" */
    store_coupon_offer(cp, &o);
    store_offer_text(c->s, &o, c->lang, what, sizeof what);
    cli_time(cp->expires, until, sizeof until);
    char code[16], day[16];
    snprintf(code, sizeof code, "%.4s-%.4s", cp->code, cp->code + 4);
    snprintf(day, sizeof day, "%.10s", until);
    out_row(co->o, (struct out_val[]){ { 0, code }, { 0, what }, { 0, cp->customer[0] ? cp->customer : _("anyone") },
                                       { 0, day }, { 0, cp->uses > 1 ? _("USED TWICE") : cp->uses ? C_("coupon", "used") : "" } });
    return 0;
}

/* End of the given local day, in unix ms. */
static int parse_expiry(const char *text, int64_t *out)
{
    int y, m, d;
    if (date_parse(text, &y, &m, &d) != 0)
        return -1;
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = 23,
                     .tm_min = 59, .tm_sec = 59, .tm_isdst = -1 };
    *out = (int64_t)mktime(&tm) * 1000 + 999;
    return 0;
}

static int coupon_list(struct cli *c, struct cmd_args *a)
{
    struct jbuf jb;
    struct out o;
    struct coupon_out co = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, COUPON_COLS, COUPON_WIDTHS, NCOLS(COUPON_COLS));
    return out_list_end(&o, &jb, store_coupon_list(c->s, a->cu ? a->cu->id : NULL, print_coupon, &co));
}

static int coupon_issue(struct cli *c, struct cmd_args *a)
{
    const char *discount = cmd_opt(a, "discount"), *expires = cmd_opt(a, "expires");
    struct store_coupon_spec spec = { .reward = cmd_opt(a, "reward"), .customer = a->cu ? a->cu->id : NULL };
    if (discount) {
        size_t len = strlen(discount);
        if (len > 1 && discount[len - 1] == '%') {
            char num[32];
            snprintf(num, sizeof num, "%.*s", (int)(len - 1), discount);
            if (decimal_parse(num, 0, 1, 100, &spec.percent) != 0)
                return cli_fail(_("a percentage off is a whole number from 1 to 100, like 10%%")), 2;
        } else if (cli_money(c, discount, &spec.discount) != 0) {
            return 1;
        }
    }
    if (expires) {
        if (parse_expiry(expires, &spec.expires) != 0)
            return cli_fail(_("give the expiry as YYYY-MM-DD")), 2;
    } else {
        spec.expires = (time(NULL) + 30 * 86400) * (int64_t)1000;
    }
    struct store_coupon cp;
    if (store_coupon_issue(c->s, c->who.id, &spec, &cp) != 0)
        return cli_store_fail(c);
    if (c->json)
        printf("{\"code\":\"%.4s-%.4s\"}\n", cp.code, cp.code + 4);
    else
        printf(_("Coupon %.4s-%.4s issued.\n"), cp.code, cp.code + 4);
    return 0;
}

static int coupon_redeem_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (!cmd_opt(a, "card"))
        return cli_fail(_("say whose purchase it is: --card CARD")), 2;
    return 0;
}

static int coupon_redeem(struct cli *c, struct cmd_args *a)
{
    struct store_coupon cp;
    struct store_result r;
    if (store_coupon_get(c->s, a->pos[0], &cp) != 0 ||
        store_coupon_redeem(c->s, c->who.id, a->pos[0], a->cu->id, &r) != 0)
        return cli_store_fail(c);
    if (c->json) {
        printf("{\"event\":\"%s\",\"code\":\"%s\"}\n", r.ref, cp.code);
        return 0;
    }
    char amount[MONEY_BUFSZ];
    struct store_reward rw;
    if (cp.reward[0] && store_reward_get(c->s, cp.reward, &rw) == 0)
        printf(_("Coupon used: give %s.\n"), rw.name);
    else if (cp.percent)
        printf(_("Coupon used: %" PRId64 "%% off this purchase.\n"), cp.percent);
    else
        printf(_("Coupon used: %s off this purchase.\n"), cli_amount(c, cp.discount, amount));
    return 0;
}

static const struct cmd_entry COUPON_VERBS[] = {
    { .name = "list", .max = -1, .customer_opt = "customer", .run = coupon_list },
    { .name = "issue", .max = -1, .login = CMD_MANAGER, .customer_opt = "customer", .run = coupon_issue },
    { .name = "redeem", .min = 1, .max = 1, .count_error = N_("give the coupon's code"),
      .check = coupon_redeem_check, .login = CMD_STAFF, .customer_opt = "card", .run = coupon_redeem },
    { 0 } };

const struct cmd_entry cmd_coupon_entry = {
    .name = "coupon", .summary = N_("issue, redeem or list coupons"),
    .usage = N_("Usage: tally coupon issue (--reward REWARD | --discount AMOUNT | --discount N%)\n"
        "                         [--customer CARD] [--expires YYYY-MM-DD]   (manager)\n"
        "       tally coupon redeem CODE --card CARD\n"
        "       tally coupon list [--customer CARD]\n\n"
        "A coupon is a single-use code with an expiry (30 days unless given),\n"
        "for anyone or bound to one customer, worth a reward or a discount.\n"
        "A coupon used at two tills that were cut off from each other shows as\n"
        "USED TWICE in the list.\n"),
    .options = "customer= reward= discount= expires= card=", .min = 1, .max = 2,
    .count_error = N_("say 'issue', 'redeem' or 'list'; see 'tally coupon --help'"),
    .store = CMD_OPEN, .verbs = COUPON_VERBS,
};
