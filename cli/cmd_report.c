/* cmd_report.c - tally report: the manager's figures, as a table, CSV or
 * JSON. The figures and their definitions are store/report.c's (the
 * summary's described in store/figures.c); this file parses the period,
 * logs the manager in and hands the rows to cli/output.c. */
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

static const char USAGE[] = N_(
    "Usage: tally report NAME [--from DATE --to DATE | --period P | --last N]\n"
    "                         [--till TILL] [--format table|csv|json]   (manager)\n"
    "\n"
    "Reports, each with the same figures for the previous period of equal\n"
    "length beside it (for 2026-11, the 30 days before: 2026-10-02 to 2026-10-31).\n"
    "NAME is one of:\n"
    "  summary      members, visits, sales, retention, churn, CLV, points, NPS\n"
    "  segments     members by segment, with each segment's share of sales;\n"
    "               --segment NAME lists that segment's members\n"
    "  customers    members ranked --by spend|visits|recency, with RFM scores\n"
    "  rewards      redemptions per reward and coupon, and what they cost\n"
    "  tiers        members per tier, and who moved up or down\n"
    "  staff, tills transactions, voids, refunds, adjustments and overrides\n"
    "               per person and per till\n"
    "  overdrafts   negative balances and the events that caused them, and\n"
    "               refunds over a purchase\n"
    "  day          end-of-day reconciliation per till and staff member (--date)\n"
    "  messages     messages to customers per trigger and channel: what became\n"
    "               of them, opt-outs and visits after them\n"
    "  campaign NAME  what a campaign changed, per variant against its holdout\n"
    "               (its own window: from its start to its end, stop or now)\n"
    "\n"
    "The period: --from 2026-07-01 --to 2026-09-30 (both days included; --from\n"
    "alone runs to today), --period 2026 | 2026-Q3 | 2026-11 | 2026-11-05, or\n"
    "--last 30d | 8w | 6m | 1y (up to and including today). Default: --last 30d.\n"
    "Days are the till's local calendar days. --till TILL counts only that\n"
    "till's transactions ('tally report tills' lists the tills): purchases\n"
    "made there, members who enrolled there, members who bought there; the\n"
    "outstanding points, their liability, tiers and overdrafts stay the whole\n"
    "shop's, as balances are. Lists show --limit N rows (default 50; 0: all).\n"
    "--format csv writes plain numbers (amounts like 12.50, rates like 12.3)\n"
    "for a spreadsheet; give it after NAME.\n"
    "\n"
    "Definitions:\n"
    "  A purchase is an earn. Refunds and voids count with the purchase they\n"
    "  correct, on its day and till, so a period's figures are its purchases as\n"
    "  they stand now: a fully refunded or voided purchase is no visit and no\n"
    "  sale; a partly refunded one is still a visit, its sale net of the\n"
    "  refund. An event that lost its once-per-occasion claim (two tills\n"
    "  voiding the same sale, or granting the same birthday bonus, before they\n"
    "  synced) never counts. Refunds made at tills cut off from each other that\n"
    "  come to more than their purchase, or a void of it meeting a void of its\n"
    "  refund, leave the purchase at nothing, never below zero: no visit, no\n"
    "  sale, no points. A forgotten customer is counted in every figure\n"
    "  and never listed. visits: purchases that are still visits. sales: their\n"
    "  net amount. active members: members with a visit in the period. new\n"
    "  members: joined in it; a member joins at enrolment, or at their first\n"
    "  purchase when that came first (history from 'tally import\n"
    "  transactions'). average order value = sales / visits. repeat rate =\n"
    "  share of active members with 2 or more visits. purchase frequency =\n"
    "  visits / active members. churn = members active in the previous period\n"
    "  and not in this one / members active in the previous period x 100;\n"
    "  retention = 100 - churn. lifespan = period length / churn (a member\n"
    "  churning at this rate stays 1/churn periods; one period when every\n"
    "  member churns). CLV = average order value x purchases per year x\n"
    "  lifespan in years, which comes to sales per active member / churn.\n"
    "  points issued: by purchases, bonuses (welcome, birthday, referral) and a\n"
    "  manager's adjustments, less what refunds, voids and downward adjustments\n"
    "  took back (so it can be 0 or less); redeemed: for rewards and as\n"
    "  payment, less voided redemptions; expired. redemption rate = points\n"
    "  redeemed / points issued, '-' when none were issued. Opening balances\n"
    "  from 'tally import customers' are not issued points and no one's\n"
    "  adjustment: they count in outstanding points from the import on.\n"
    "  outstanding points: all balances at the end of the period (overdrafts\n"
    "  reduce it; points past their expiry date count until expiry runs);\n"
    "  liability = outstanding points x the value of a point (1 /\n"
    "  points.pay_rate of the currency unit). NPS = the share of promoters\n"
    "  (9-10) less the share of detractors (0-6) among the answers given in the\n"
    "  period, in points from -100 to 100. Rates are percentages to one\n"
    "  decimal; '-' where there is nothing to divide by.\n"
    "  Segments at the end of the period, the first rule that holds:\n"
    "    new: joined in the period;\n"
    "    lapsed: no visit in the 90 days before the end (never came: joined\n"
    "      more than 90 days before it);\n"
    "    at-risk: a regular now overdue: the time since the last visit is more\n"
    "      than twice their mean interval and at least 14 days;\n"
    "    high-value: spent more than nothing over the 365 days before the end\n"
    "      and ranks in the top tenth of those who did (rounded up: 1 of 1 to\n"
    "      10, 2 of 11 to 20 ...), equal spends ranking alike;\n"
    "    regular: 3 or more visits, with a mean interval ((last - first) /\n"
    "      (visits - 1)) of at most 30 days;\n"
    "    occasional: everyone else.\n"
    "  Visits here are all a member's visits before the end of the period.\n"
    "  RFM: recency (last visit), frequency (visits) and monetary (spend) in\n"
    "  the period, each 1-5: the member's fifth among the period's active\n"
    "  members. rewards: redemptions made in the period, not voided; a points\n"
    "  reward's cost is its points at the value of a point; 'perk of' names\n"
    "  the lowest tier a reward is kept for. tiers: by the\n"
    "  till's own rule (spend in tier.window_days before the end of each\n"
    "  period). staff, tills, day: what each person and till did on the day\n"
    "  they did it (refunds and voids on their own day, each as handed out).\n"
    "  overdrafts: negative balances and the events that took them there, then\n"
    "  each purchase refunded beyond it at tills cut off from each other: the\n"
    "  refunds that took it below zero, of 'purchase', with its net after each\n"
    "  (the excess).\n"
    "  day: a block per staff\n"
    "  member and till, one for what no one did (points expiring), each till's\n"
    "  total and all tills' (CSV and JSON: row = staff, no_staff, till or all).\n"
    "  tiers and overdrafts are the whole shop's; a forgotten member is\n"
    "  counted, never listed.\n"
    "  messages: the messages queued in the period (each occasion once, whichever\n"
    "  till queued it), per trigger and channel, and all of them: how many are\n"
    "  sent, failed, expired, suppressed (no consent, opted out, no address,\n"
    "  capped, forgotten) or still waiting now; opted out: sent, then within 14\n"
    "  days the customer withdrew consent to that channel (the counter: to offers\n"
    "  at all); members who visited: members sent one who made a visit within\n"
    "  14 days after it was sent; coupons from them used: messages that brought\n"
    "  a coupon (a trigger's offer) which has since been used, at any till.\n"
    "  Messages are the whole shop's (no --till).\n"
    "  CSV and JSON: the total row has an empty trigger and channel.\n"
    "  campaign: per variant and for the holdout, members; messages delivered\n"
    "  (sent, or told at the counter); offers used (coupons used, a points\n"
    "  bonus as given, a multiplier by members who bought while it ran);\n"
    "  members who visited; visits and sales per member in the window. Lift:\n"
    "  the variant's mean per member less the holdout's, with a 95-percent\n"
    "  confidence interval by Welch's t-test (unequal variances,\n"
    "  Welch-Satterthwaite degrees of freedom), for visits and for sales. It\n"
    "  worked when the whole interval of visits is above 0; otherwise the\n"
    "  report says about how many more members (in the same proportions) would\n"
    "  tell a difference of that size, at 95-percent confidence and 80-percent\n"
    "  power. Cost: amounts off used, and rewards and points at the value of a\n"
    "  point ('-' for a percentage off or a multiplier); extra sales = (sales\n"
    "  per member - the holdout's) x members.\n");

/* --- the reports --------------------------------------------------------------- */

struct ctx {
    struct cli *c;
    enum out_format fmt;
    struct store_report_query q;
    int limit;
    const char *segment, *by, *date;
};

/* The store failed half way through: no half table, its error said. */
static int report_failed(struct ctx *x, struct out *o)
{
    out_end(o, 1, NULL, NULL);
    return cli_store_fail(x->c);
}

/* How the report presents a summary figure of each kind. */
static enum out_kind figure_kind(const struct store_figure *f)
{
    switch (f->kind) {
    case STORE_FIGURE_MONEY: return OUT_MONEY;
    case STORE_FIGURE_PERCENT: return OUT_RATE;
    case STORE_FIGURE_TENTHS: return OUT_SCORE;
    case STORE_FIGURE_HUNDREDTHS: return OUT_HUND;
    default: return OUT_INT;
    }
}

static void summary_json(struct jbuf *doc, const char *key, struct out *o, const struct store_summary *x)
{
    char buf[64];
    jb_key(doc, key);
    jb_obj_begin(doc);
    int n;
    const struct store_figure *figs = store_figures(&n);
    for (int i = 0; i < n; i++) {
        const struct store_figure *m = &figs[i];
        struct out_col col = { m->key, m->label, figure_kind(m), false };
        struct out_val v = { store_figure_value(x, m), NULL };
        jb_key(doc, m->key);
        if (v.n == STORE_NA)
            jb_null(doc);
        else if (col.kind == OUT_INT)
            jb_int(doc, v.n);
        else if (col.kind == OUT_MONEY)
            jb_money(doc, v.n, store_currency_digits(o->c->s));
        else {
            out_value(o, &col, &v, buf, sizeof buf);
            jb_raw(doc, buf);
        }
    }
    jb_obj_end(doc);
}

struct summary_pair { struct out *o; const struct store_summary *cur, *prev; };

static void summary_extra(struct jbuf *doc, void *arg)
{
    struct summary_pair *sp = arg;
    summary_json(doc, "current", sp->o, sp->cur);
    summary_json(doc, "previous", sp->o, sp->prev);
}

static int report_summary(struct ctx *x)
{
    struct store_summary cur, prev;
    if (store_report_summary(x->c->s, &x->q, &cur, &prev) != 0)
        return cli_store_fail(x->c);
    static const struct out_col COLS[] = {
        { "metric", N_("figure"), OUT_TEXT, false },
        { "current", N_("this period"), OUT_NUM, false },
        { "previous", N_("previous period"), OUT_NUM, false },
        { "change", N_("change"), OUT_NUM, false },
    };
    struct out o;
    out_begin(&o, x->c, x->fmt, "summary", N_("Summary"), &x->q, COLS, x->fmt == OUT_CSV ? 3 : 4);
    if (x->fmt == OUT_JSON) {
        struct summary_pair sp = { &o, &cur, &prev };
        return out_end(&o, 0, summary_extra, &sp);
    }
    int n;
    const struct store_figure *figs = store_figures(&n);
    for (int i = 0; i < n; i++) {
        const struct store_figure *m = &figs[i];
        struct out_col col = { m->key, m->label, figure_kind(m), false };
        struct out_val a = { store_figure_value(&cur, m), NULL }, b = { store_figure_value(&prev, m), NULL },
                   d = { STORE_NA, NULL };
        char va[96], vb[96], vd[96] = "";
        out_value(&o, &col, &a, va, sizeof va);
        out_value(&o, &col, &b, vb, sizeof vb);
        if (a.n != STORE_NA && b.n != STORE_NA && x->fmt == OUT_TABLE) {
            d.n = a.n - b.n;
            char diff[80];
            out_value(&o, &col, &d, diff, sizeof diff);
            if (d.n > 0)
                snprintf(vd, sizeof vd, "+%s", diff);
            else if (d.n < 0)
                snprintf(vd, sizeof vd, "%s", diff);
            else {
                snprintf(vd, sizeof vd, "=");
            }
        }
        struct out_val row[4] = { { 0, x->fmt == OUT_CSV ? m->key : _(m->label) }, { 0, va }, { 0, vb }, { 0, vd } };
        out_row(&o, row);
    }
    return out_end(&o, 0, NULL, NULL);
}

/* segments ------------------------------------------------------------------------ */

static void segments_extra(struct jbuf *doc, void *arg)
{
    (void)arg;
    jb_key(doc, "rules");
    jb_obj_begin(doc);
    for (int i = 0; i < SEG_COUNT; i++) {
        jb_key_str(doc, store_segment_name(i), store_segment_rule(i));     /* the same in every language */
    }
    jb_obj_end(doc);
}

static const struct out_col MEMBER_COLS[] = {
    { "rank", N_("#"), OUT_INT, false },
    { "customer", N_("customer"), OUT_TEXT, false },
    { "name", N_("name"), OUT_TEXT, false },
    { "phone", N_("phone"), OUT_TEXT, false },
    { "email", N_("email"), OUT_TEXT, false },
    { "consent", N_("consent"), OUT_BOOL, false },
    { "segment", N_("segment"), OUT_TEXT, false },
    { "last_visit", N_("last visit"), OUT_TIME, false },
    { "visits", N_("visits"), OUT_INT, false },
    { "previous_visits", N_("visits before"), OUT_INT, true },
    { "spend", N_("spend"), OUT_MONEY, false },
    { "previous_spend", N_("spend before"), OUT_MONEY, true },
    { "total_visits", N_("all visits"), OUT_INT, false },
    { "interval_days", N_("usual interval (days)"), OUT_INT, false },
    { "recency", N_("R"), OUT_INT, false },
    { "frequency", N_("F"), OUT_INT, false },
    { "monetary", N_("M"), OUT_INT, false },
};

/* A segment's call list shows the columns before the RFM scores. */
static int print_member(const struct store_member_row *m, void *arg)
{
    struct out *o = arg;
    struct out_val v[NCOLS(MEMBER_COLS)] = {
        { m->rank, NULL }, { 0, m->id }, { 0, m->name }, { 0, m->phone }, { 0, m->email },
        { m->consent, NULL }, { 0, store_segment_name(m->segment) }, { m->last_visit, NULL },
        { m->visits, NULL }, { m->prev_visits, NULL }, { m->spend, NULL }, { m->prev_spend, NULL },
        { m->total_visits, NULL }, { m->interval_days, NULL },
        { m->r, NULL }, { m->f, NULL }, { m->m, NULL },
    };
    out_row(o, v);
    return 0;
}

static int report_segments(struct ctx *x)
{
    struct out o;
    if (x->segment) {
        int seg = store_segment_parse(x->segment);
        if (seg < 0)
            return cli_fail(_("no segment '%s': one of new, lapsed, at-risk, high-value, regular, occasional"),
                            x->segment), 2;
        /* A call list: without the ranking columns. */
        out_begin(&o, x->c, x->fmt, "segment", N_("Segment members"), &x->q, MEMBER_COLS, NCOLS(MEMBER_COLS) - 3);
        if (store_report_segment_members(x->c->s, &x->q, seg, x->limit, print_member, &o) != 0)
            return report_failed(x, &o);
        return out_end(&o, 0, segments_extra, NULL);
    }
    struct store_segment_stats cur[SEG_COUNT], prev[SEG_COUNT];
    if (store_report_segments(x->c->s, &x->q, cur, prev) != 0)
        return cli_store_fail(x->c);
    static const struct out_col COLS[] = {
        { "segment", N_("segment"), OUT_TEXT, false },
        { "members", N_("members"), OUT_INT, false },
        { "previous_members", N_("members before"), OUT_INT, true },
        { "sales", N_("sales"), OUT_MONEY, false },
        { "previous_sales", N_("sales before"), OUT_MONEY, true },
        { "share", N_("share of sales"), OUT_RATE, false },
        { "previous_share", N_("share before"), OUT_RATE, true },
    };
    out_begin(&o, x->c, x->fmt, "segments", N_("Segments"), &x->q, COLS, NCOLS(COLS));
    for (int i = 0; i < SEG_COUNT; i++) {
        struct out_val v[NCOLS(COLS)] = {
            { 0, store_segment_name(i) }, { cur[i].members, NULL }, { prev[i].members, NULL },
            { cur[i].sales, NULL }, { prev[i].sales, NULL }, { cur[i].share, NULL }, { prev[i].share, NULL },
        };
        out_row(&o, v);
    }
    int rc = out_end(&o, 0, segments_extra, NULL);
    if (rc == 0 && x->fmt == OUT_TABLE) {
        printf("\n");
        for (int i = 0; i < SEG_COUNT; i++)
            printf("  %s: %s\n", store_segment_text(store_segment_name(i)), _(store_segment_rule(i)));
    }
    return rc;
}

static int report_customers(struct ctx *x)
{
    enum store_rank by = STORE_BY_SPEND;
    if (x->by && strcmp(x->by, "spend") == 0)
        by = STORE_BY_SPEND;
    else if (x->by && strcmp(x->by, "visits") == 0)
        by = STORE_BY_VISITS;
    else if (x->by && strcmp(x->by, "recency") == 0)
        by = STORE_BY_RECENCY;
    else if (x->by)
        return cli_fail(_("--by is spend, visits or recency")), 2;
    struct out o;
    out_begin(&o, x->c, x->fmt, "customers", N_("Customers"), &x->q, MEMBER_COLS, NCOLS(MEMBER_COLS));
    if (store_report_customers(x->c->s, &x->q, by, x->limit, print_member, &o) != 0)
        return report_failed(x, &o);
    return out_end(&o, 0, NULL, NULL);
}

/* rewards --------------------------------------------------------------------------- */

static const struct out_col REWARD_COLS[] = {
    { "kind", N_("kind"), OUT_TEXT, false },
    { "reward", N_("id"), OUT_TEXT, false },
    { "name", N_("reward"), OUT_TEXT, false },
    { "count", N_("redemptions"), OUT_INT, false },
    { "previous_count", N_("before"), OUT_INT, true },
    { "points", N_("points"), OUT_INT, false },
    { "previous_points", N_("points before"), OUT_INT, true },
    { "stamps", N_("stamps"), OUT_INT, false },
    { "previous_stamps", N_("stamps before"), OUT_INT, true },
    { "cost", N_("cost"), OUT_MONEY, false },
    { "previous_cost", N_("cost before"), OUT_MONEY, true },
    { "tier", N_("perk of"), OUT_TEXT, false },
};

static int print_reward_row(const struct store_reward_row *r, void *arg)
{
    struct out *o = arg;
    /* A built-in row (points as payment, store credit spent, a coupon's
     * amount or percentage off) has no name of its own: JSON says its code. */
    const char *code = r->name[0] ? r->name : r->id[0] ? r->id : r->kind;
    const char *shown[NCOLS(REWARD_COLS)] = { [2] = store_reward_row_text(r) };
    struct out_val v[NCOLS(REWARD_COLS)] = {
        { 0, r->kind }, { 0, r->id }, { 0, code }, { r->count, NULL }, { r->prev_count, NULL },
        { r->points, NULL }, { r->prev_points, NULL }, { r->stamps, NULL }, { r->prev_stamps, NULL },
        { r->value, NULL }, { r->prev_value, NULL }, { 0, r->tier },
    };
    out_row_shown(o, v, shown);
    return 0;
}

static int report_rewards(struct ctx *x)
{
    struct out o;
    out_begin(&o, x->c, x->fmt, "rewards", N_("Rewards"), &x->q, REWARD_COLS, NCOLS(REWARD_COLS));
    if (store_report_rewards(x->c->s, &x->q, print_reward_row, &o) != 0)
        return report_failed(x, &o);
    return out_end(&o, 0, NULL, NULL);
}

/* tiers ------------------------------------------------------------------------------- */

static const struct out_col TIER_COLS[] = {
    { "tier", N_("tier"), OUT_TEXT, false },
    { "members", N_("members"), OUT_INT, false },
    { "previous_members", N_("before"), OUT_INT, true },
    { "joined", N_("new members in it"), OUT_INT, false },
    { "up", N_("moved up into it"), OUT_INT, false },
    { "down", N_("moved down into it"), OUT_INT, false },
};

static int print_tier(const struct store_tier_row *t, void *arg)
{
    struct out *o = arg;
    const char *shown[NCOLS(TIER_COLS)] = { [0] = t->tier[0] ? NULL : _("(no tier)") };
    struct out_val v[NCOLS(TIER_COLS)] = {
        { 0, t->tier }, { t->members, NULL }, { t->prev_members, NULL },
        { t->joined, NULL }, { t->up, NULL }, { t->down, NULL },
    };
    out_row_shown(o, v, shown);
    return 0;
}

static int report_tiers(struct ctx *x)
{
    struct out o;
    out_begin(&o, x->c, x->fmt, "tiers", N_("Tiers"), &x->q, TIER_COLS, NCOLS(TIER_COLS));
    if (store_report_tiers(x->c->s, &x->q, print_tier, &o) != 0)
        return report_failed(x, &o);
    return out_end(&o, 0, NULL, NULL);
}

/* staff and tills ------------------------------------------------------------------------ */

static const struct out_col ACTIVITY_COLS[] = {
    { "key", N_("who"), OUT_TEXT, false },
    { "name", N_("name"), OUT_TEXT, false },
    { "transactions", N_("transactions"), OUT_INT, false },
    { "previous_transactions", "", OUT_INT, true },
    { "sales", N_("sales"), OUT_MONEY, false },
    { "previous_sales", "", OUT_MONEY, true },
    { "refunds", N_("refunds"), OUT_INT, false },
    { "previous_refunds", "", OUT_INT, true },
    { "refunded", N_("refunded"), OUT_MONEY, false },
    { "previous_refunded", "", OUT_MONEY, true },
    { "voids", N_("voids made"), OUT_INT, false },
    { "previous_voids", "", OUT_INT, true },
    { "voided", N_("their transactions voided"), OUT_INT, false },
    { "previous_voided", "", OUT_INT, true },
    { "adjustments", N_("adjustments"), OUT_INT, false },
    { "previous_adjustments", "", OUT_INT, true },
    { "adjusted_points", N_("points adjusted"), OUT_INT, false },
    { "previous_adjusted_points", "", OUT_INT, true },
    { "overrides", N_("limit overrides"), OUT_INT, false },
    { "previous_overrides", "", OUT_INT, true },
    { "wrong_pins", N_("wrong PINs typed"), OUT_INT, false },
    { "previous_wrong_pins", "", OUT_INT, true },
};

struct activity_out { struct out *o; struct cli *c; bool tills; };

static int print_activity(const struct store_activity_row *r, void *arg)
{
    struct activity_out *ao = arg;
    const struct store_activity *a = &r->cur, *b = &r->prev;
    /* JSON keeps "this till" in English, as a code. */
    const char *name = r->name, *shown[NCOLS(ACTIVITY_COLS)] = { NULL };
    if (ao->tills && strcmp(r->key, store_origin(ao->c->s)) == 0) {
        name = "this till";
        shown[1] = _("this till");
    } else if (ao->tills) {
        name = "";
    }
    struct out_val v[NCOLS(ACTIVITY_COLS)] = {
        { 0, r->key }, { 0, name },
        { a->transactions, NULL }, { b->transactions, NULL }, { a->sales, NULL }, { b->sales, NULL },
        { a->refunds, NULL }, { b->refunds, NULL }, { a->refunded, NULL }, { b->refunded, NULL },
        { a->voids, NULL }, { b->voids, NULL }, { a->voided, NULL }, { b->voided, NULL },
        { a->adjustments, NULL }, { b->adjustments, NULL },
        { a->adjusted_points, NULL }, { b->adjusted_points, NULL },
        { a->overrides, NULL }, { b->overrides, NULL },
        { a->wrong_pins, NULL }, { b->wrong_pins, NULL },
    };
    out_row_shown(ao->o, v, shown);
    return 0;
}

static int report_activity(struct ctx *x, bool tills)
{
    struct out o;
    out_begin(&o, x->c, x->fmt, tills ? "tills" : "staff", tills ? N_("Tills") : N_("Staff"), &x->q,
              ACTIVITY_COLS, NCOLS(ACTIVITY_COLS));
    o.vertical = true;
    struct activity_out ao = { &o, x->c, tills };
    if (store_report_activity(x->c->s, &x->q, tills, print_activity, &ao) != 0)
        return report_failed(x, &o);
    if (x->fmt == OUT_TABLE && o.nrows == 0) {
        out_title(&o);
        printf("%s\n", _("Nothing was done in these periods."));
    }
    return out_end(&o, 0, NULL, NULL);
}

/* overdrafts -------------------------------------------------------------------------- */

static const struct out_col OVERDRAFT_COLS[] = {
    { "customer", N_("customer"), OUT_TEXT, false },
    { "name", N_("name"), OUT_TEXT, false },
    { "points", N_("points"), OUT_INT, false },
    { "stamps", N_("stamps"), OUT_INT, false },
    { "credit", N_("credit"), OUT_MONEY, false },
    { "event", N_("event"), OUT_TEXT, false },
    { "type", N_("type"), OUT_TEXT, false },
    { "staff", N_("staff"), OUT_TEXT, false },
    { "time", N_("time"), OUT_TIME, false },
    { "unit", N_("of"), OUT_TEXT, false },
    { "change", N_("change"), OUT_NUM, false },
    { "after", N_("after"), OUT_NUM, false },
};

struct overdraft_out { struct out *o; struct cli *c; struct store_overdraft_counts n; };

static int print_overdraft(const struct store_overdraft_row *r, void *arg)
{
    struct overdraft_out *oo = arg;
    struct store_staff who;
    const char *staff = r->staff;
    if (r->staff[0] && store_staff_get(oo->c->s, r->staff, &who) == 0)
        staff = who.name;
    /* The change and the balance after it: points and stamps are whole
     * numbers, credit is money. */
    char change[MONEY_BUFSZ], after[MONEY_BUFSZ];
    if (strcmp(r->unit, "credit") == 0 || strcmp(r->unit, "purchase") == 0) {
        struct out_col mc = { "", "", OUT_MONEY, false };
        struct out_val d = { r->delta, NULL }, a = { r->after, NULL };
        out_value(oo->o, &mc, &d, change, sizeof change);
        out_value(oo->o, &mc, &a, after, sizeof after);
    } else {
        snprintf(change, sizeof change, "%" PRId64, r->delta);
        snprintf(after, sizeof after, "%" PRId64, r->after);
    }
    struct out_val v[NCOLS(OVERDRAFT_COLS)] = {
        { 0, r->customer }, { 0, r->name }, { r->points, NULL },
        { r->stamps, NULL }, { r->credit, NULL }, { 0, r->event }, { 0, r->type }, { 0, staff },
        { r->wall, NULL }, { 0, r->unit }, { 0, change }, { 0, after },
    };
    const char *shown[NCOLS(OVERDRAFT_COLS)] = { [1] = r->name[0] ? NULL : _("(forgotten)") };
    out_row_shown(oo->o, v, shown);
    return 0;
}

static void overdrafts_extra(struct jbuf *doc, void *arg)
{
    struct overdraft_out *oo = arg;
    jb_key_int(doc, "overdrawn", oo->n.overdrawn);
    jb_key_int(doc, "previous_overdrawn", oo->n.prev_overdrawn);
    jb_key_int(doc, "over_refunded", oo->n.over_refunded);
    jb_key_int(doc, "previous_over_refunded", oo->n.prev_over_refunded);
}

static int report_overdrafts(struct ctx *x)
{
    struct out o;
    out_begin(&o, x->c, x->fmt, "overdrafts", N_("Overdrafts"), &x->q, OVERDRAFT_COLS, NCOLS(OVERDRAFT_COLS));
    struct overdraft_out oo = { &o, x->c, { 0 } };
    if (store_report_overdrafts(x->c->s, &x->q, &oo.n, print_overdraft, &oo) != 0)
        return report_failed(x, &o);
    if (x->fmt == OUT_TABLE) {
        out_title(&o);
        printf(ngettext("%" PRId64 " member overdrawn at the end of the period (%" PRId64 " at the end of the previous one).\n",
                        "%" PRId64 " members overdrawn at the end of the period (%" PRId64 " at the end of the previous one).\n",
                        i18n_n(oo.n.overdrawn)),
               oo.n.overdrawn, oo.n.prev_overdrawn);
        if (oo.n.over_refunded || oo.n.prev_over_refunded)
            printf(ngettext("%" PRId64 " purchase refunded beyond its amount at tills cut off from each other (%" PRId64 " at the end of the previous period): it counts for nothing, and its “purchase” rows show the refunds that went over it.\n",
                            "%" PRId64 " purchases refunded beyond their amount at tills cut off from each other (%" PRId64 " at the end of the previous period): each counts for nothing, and their “purchase” rows show the refunds that went over them.\n",
                            i18n_n(oo.n.over_refunded)),
                   oo.n.over_refunded, oo.n.prev_over_refunded);
    }
    if (x->fmt == OUT_TABLE && o.nrows == 0)
        return out_end(&o, 0, NULL, NULL);
    if (x->fmt == OUT_TABLE)
        printf("\n");
    return out_end(&o, 0, overdrafts_extra, &oo);
}

/* day ------------------------------------------------------------------------------------ */

#define DAY_PAIR(key, label, kind) { key, label, kind, false }, { "previous_" key, "", kind, true }
static const struct out_col DAY_COLS[] = {
    { "row", N_("row"), OUT_TEXT, false },
    { "till", N_("till"), OUT_TEXT, false },
    { "staff", N_("staff"), OUT_TEXT, false },
    { "name", N_("name"), OUT_TEXT, false },
    DAY_PAIR("purchases", N_("purchases"), OUT_INT),
    DAY_PAIR("sales", N_("sales (net)"), OUT_MONEY),
    DAY_PAIR("refunds", N_("refunds"), OUT_INT),
    DAY_PAIR("refunded", N_("refunded"), OUT_MONEY),
    DAY_PAIR("voids", N_("voids"), OUT_INT),
    DAY_PAIR("coupons", N_("coupons used"), OUT_INT),
    DAY_PAIR("points_issued", N_("points issued"), OUT_INT),
    DAY_PAIR("points_taken_back", N_("points taken back"), OUT_INT),
    DAY_PAIR("points_redeemed", N_("points redeemed"), OUT_INT),
    DAY_PAIR("points_expired", N_("points expired"), OUT_INT),
    DAY_PAIR("credit_issued", N_("credit issued"), OUT_MONEY),
    DAY_PAIR("credit_taken_back", N_("credit taken back"), OUT_MONEY),
    DAY_PAIR("credit_spent", N_("credit spent"), OUT_MONEY),
};

struct day_out { struct out *o; struct cli *c; };

static int print_day(const struct store_day_row *r, void *arg)
{
    struct day_out *d = arg;
    const struct store_day_figures *a = &r->cur, *b = &r->prev;
    /* What the row is, for a program (CSV, JSON) and for a person. */
    static const char *const LEVELS[] = { "staff", "no_staff", "till", "all" };
    const char *till = r->till, *level = LEVELS[r->level <= STORE_DAY_ALL ? r->level : 0];
    char label[96];
    if (d->o->fmt == OUT_TABLE) {
        level = "";
        if (r->level == STORE_DAY_ALL)
            snprintf(label, sizeof label, "%s", _("all tills"));
        else if (r->level == STORE_DAY_TILL)
            snprintf(label, sizeof label, _("till %s, all staff"), r->till);
        else if (r->level == STORE_DAY_NO_STAFF)
            snprintf(label, sizeof label, _("till %s, expiry (no staff)"), r->till);
        else
            snprintf(label, sizeof label, _("till %s"), r->till);
        till = label;
    }
    struct out_val v[NCOLS(DAY_COLS)] = {
        { 0, level }, { 0, till }, { 0, r->staff }, { 0, r->staff_name },
        { a->purchases, NULL }, { b->purchases, NULL }, { a->sales, NULL }, { b->sales, NULL },
        { a->refunds, NULL }, { b->refunds, NULL }, { a->refunded, NULL }, { b->refunded, NULL },
        { a->voids, NULL }, { b->voids, NULL }, { a->coupons, NULL }, { b->coupons, NULL },
        { a->points_issued, NULL }, { b->points_issued, NULL },
        { a->points_taken_back, NULL }, { b->points_taken_back, NULL },
        { a->points_redeemed, NULL }, { b->points_redeemed, NULL },
        { a->points_expired, NULL }, { b->points_expired, NULL },
        { a->credit_issued, NULL }, { b->credit_issued, NULL },
        { a->credit_taken_back, NULL }, { b->credit_taken_back, NULL },
        { a->credit_spent, NULL }, { b->credit_spent, NULL },
    };
    if (d->o->fmt == OUT_TABLE)
        v[2].s = "";    /* the name says who */
    out_row(d->o, v);
    return 0;
}

static int report_day(struct ctx *x)
{
    if (store_period_day(x->c->s, x->date, &x->q.period) != 0)
        return cli_store_fail(x->c), 2;
    struct out o;
    out_begin(&o, x->c, x->fmt, "day", N_("End of day"), &x->q, DAY_COLS, NCOLS(DAY_COLS));
    o.vertical = true;
    struct day_out d = { &o, x->c };
    if (store_report_day(x->c->s, &x->q, print_day, &d) != 0)
        return report_failed(x, &o);
    if (x->fmt == OUT_TABLE && o.nrows == 0) {
        out_title(&o);
        printf("%s\n", _("Nothing was done on these days."));
    }
    return out_end(&o, 0, NULL, NULL);
}

/* messages ------------------------------------------------------------------------------- */

#define MSG_PAIR(key, label) { key, label, OUT_INT, false }, { "previous_" key, "", OUT_INT, true }
static const struct out_col MSG_COLS[] = {
    { "trigger", N_("trigger"), OUT_TEXT, false },
    { "channel", N_("channel"), OUT_TEXT, false },
    MSG_PAIR("queued", N_("queued")),
    MSG_PAIR("sent", N_("sent")),
    MSG_PAIR("failed", N_("failed")),
    MSG_PAIR("expired", N_("expired")),
    MSG_PAIR("suppressed", N_("suppressed")),
    MSG_PAIR("waiting", N_("still waiting")),
    MSG_PAIR("opted_out", N_("opted out within 14 days")),
    MSG_PAIR("visited", N_("members who visited within 14 days")),
    MSG_PAIR("coupons_used", N_("coupons from them used")),
};

static int print_message_row(const struct store_msg_report_row *r, void *arg)
{
    struct out *o = arg;
    const struct store_msg_figures *a = &r->cur, *b = &r->prev;
    struct out_val v[NCOLS(MSG_COLS)] = {
        { 0, r->trigger[0] || o->fmt != OUT_TABLE ? r->trigger : _("all messages") }, { 0, r->channel },
        { a->queued, NULL }, { b->queued, NULL }, { a->sent, NULL }, { b->sent, NULL },
        { a->failed, NULL }, { b->failed, NULL }, { a->expired, NULL }, { b->expired, NULL },
        { a->suppressed, NULL }, { b->suppressed, NULL }, { a->waiting, NULL }, { b->waiting, NULL },
        { a->opted_out, NULL }, { b->opted_out, NULL }, { a->visited, NULL }, { b->visited, NULL },
        { a->coupons_used, NULL }, { b->coupons_used, NULL },
    };
    out_row(o, v);
    return 0;
}

static int report_messages(struct ctx *x)
{
    struct out o;
    out_begin(&o, x->c, x->fmt, "messages", N_("Messages"), &x->q, MSG_COLS, NCOLS(MSG_COLS));
    o.vertical = true;
    if (store_report_messages(x->c->s, &x->q, print_message_row, &o) != 0)
        return report_failed(x, &o);
    if (x->fmt == OUT_TABLE && o.nrows == 0) {
        out_title(&o);
        printf("%s\n", _("No message was queued in these periods."));
    }
    return out_end(&o, 0, NULL, NULL);
}

/* --- the command ---------------------------------------------------------------------- */

static bool hex_origin(const char *t)
{
    if (strlen(t) != STORE_ORIGIN_LEN)
        return false;
    for (const char *p = t; *p; p++)
        if (!strchr("0123456789abcdef", *p))
            return false;
    return true;
}

/* --- campaign ------------------------------------------------------------ */

static const char *const VERDICTS[] = { "", "too-few", "worked", "worse", "unclear" };

static int64_t hundredths(double x) { return isfinite(x) ? (int64_t)llround(x * 100) : STORE_NA; }
static int64_t minor(double x) { return isfinite(x) ? (int64_t)llround(x) : STORE_NA; }

static void campaign_extra(struct jbuf *doc, void *arg)
{
    const struct store_campaign_result *r = arg;
    char t[32];
    jb_key_str(doc, "campaign", r->campaign.name);
    jb_key_str(doc, "segment", r->campaign.segment);
    jb_key(doc, "from");
    cli_time(r->from, t, sizeof t);
    jb_str(doc, t);
    jb_key(doc, "to");
    cli_time(r->to, t, sizeof t);
    jb_str(doc, t);
    jb_key_str(doc, "method", "welch-t-95");
}

/* The verdict in words, and what it cost against what it brought. */
static void campaign_verdict(struct cli *c, const struct store_arm_result *a)
{
    char d[32], lo[32], hi[32], cost[MONEY_BUFSZ], extra[MONEY_BUFSZ];
    decimal_format(hundredths(fabs(a->visits_lift.diff)), 2, c->lang, d, sizeof d);
    decimal_format(hundredths(a->visits_lift.low), 2, c->lang, lo, sizeof lo);
    decimal_format(hundredths(a->visits_lift.high), 2, c->lang, hi, sizeof hi);
    switch (a->verdict) {
    case VERDICT_WORKED:
        printf(_("%s brought %s more visits per member than no offer (95%% CI %s to %s): it worked.\n"), a->arm, d, lo, hi);
        break;
    case VERDICT_WORSE:
        printf(_("%s brought %s fewer visits per member than no offer (95%% CI %s to %s): worse than nothing.\n"), a->arm,
               d, lo, hi);
        break;
    case VERDICT_UNCLEAR:
        if (isinf(a->more_members))
            printf(_("%s is not distinguishable from no offer (95%% CI %s to %s): no difference seen so far.\n"), a->arm,
                   lo, hi);
        else
            printf(ngettext("%s is not distinguishable from no offer yet (95%% CI %s to %s); about %lld more member needed.\n",
                            "%s is not distinguishable from no offer yet (95%% CI %s to %s); about %lld more members needed.\n",
                            i18n_n((long long)a->more_members)),
                   a->arm, lo, hi, (long long)a->more_members);
        break;
    default:
        printf(_("%s: too few members to tell (it takes at least 2 in it and 2 held out).\n"), a->arm);
        return;
    }
    cli_amount(c, a->extra_sales, extra);
    if (a->cost == STORE_NA)
        printf(_("  The cost of its offers is not known (a percentage off or a multiplier); sales beyond the holdout's: %s.\n"),
               extra);
    else
        printf(_("  Its offers used cost %s; sales beyond the holdout's: %s.\n"), cli_amount(c, a->cost, cost), extra);
}

static int report_campaign(struct ctx *x, const char *name)
{
    struct store_campaign_result r;
    if (store_report_campaign(x->c->s, name, &r) != 0)
        return cli_store_fail(x->c);
    static const struct out_col COLS[] = {
        { "arm", N_("arm"), OUT_TEXT, false },
        { "offer", N_("offer"), OUT_TEXT, false },
        { "members", N_("members"), OUT_INT, false },
        { "messages_delivered", N_("messages delivered"), OUT_INT, false },
        { "offers_used", N_("offers used"), OUT_INT, false },
        { "members_visited", N_("members who visited"), OUT_INT, false },
        { "visits_per_member", N_("visits per member"), OUT_HUND, false },
        { "sales_per_member", N_("sales per member"), OUT_MONEY, false },
        { "visits_lift", N_("visits lift"), OUT_HUND, false },
        { "visits_lift_low", N_("visits lift, 95% CI from"), OUT_HUND, false },
        { "visits_lift_high", N_("visits lift, 95% CI to"), OUT_HUND, false },
        { "sales_lift", N_("sales lift"), OUT_MONEY, false },
        { "sales_lift_low", N_("sales lift, 95% CI from"), OUT_MONEY, false },
        { "sales_lift_high", N_("sales lift, 95% CI to"), OUT_MONEY, false },
        { "cost", N_("cost of offers used"), OUT_MONEY, false },
        { "extra_sales", N_("extra sales"), OUT_MONEY, false },
        { "verdict", N_("verdict"), OUT_TEXT, false },
        { "more_members_needed", N_("more members needed"), OUT_INT, false },
    };
    struct out o;
    out_begin(&o, x->c, x->fmt, "campaign", NULL, NULL, COLS, NCOLS(COLS));
    o.vertical = true;
    char offers[STORE_CAMPAIGN_ARMS + 1][128];
    for (int i = 0; i < r.narms; i++) {
        const struct store_arm_result *a = &r.arm[i];
        bool lift = a->verdict != VERDICT_NONE && a->visits_lift.ok;
        if (x->fmt == OUT_TABLE)
            store_offer_text(x->c->s, &a->offer, x->c->lang, offers[i], sizeof offers[i]);
        else
            store_offer_code(x->c->s, &a->offer, offers[i], sizeof offers[i]);
        struct out_val v[NCOLS(COLS)] = {
            { 0, a->arm }, { 0, offers[i] }, { a->members, NULL }, { a->messages, NULL }, { a->used, NULL },
            { a->visitors, NULL }, { hundredths(a->visits_mean), NULL }, { minor(a->sales_mean), NULL },
            { lift ? hundredths(a->visits_lift.diff) : STORE_NA, NULL },
            { lift ? hundredths(a->visits_lift.low) : STORE_NA, NULL },
            { lift ? hundredths(a->visits_lift.high) : STORE_NA, NULL },
            { lift ? minor(a->sales_lift.diff) : STORE_NA, NULL },
            { lift ? minor(a->sales_lift.low) : STORE_NA, NULL },
            { lift ? minor(a->sales_lift.high) : STORE_NA, NULL },
            { a->cost, NULL }, { a->verdict == VERDICT_NONE ? STORE_NA : a->extra_sales, NULL },
            { 0, VERDICTS[a->verdict] },
            { a->verdict == VERDICT_UNCLEAR && isfinite(a->more_members) ? (int64_t)a->more_members : STORE_NA, NULL },
        };
        out_row(&o, v);
    }
    if (x->fmt == OUT_TABLE) {
        char from[32], to[32];
        cli_time(r.from, from, sizeof from);
        cli_time(r.to, to, sizeof to);
        printf(_("Campaign %s (%s), %s to %s\n\n"), r.campaign.name, r.campaign.segment, from, to);
    }
    int rc = out_end(&o, 0, campaign_extra, &r);
    if (rc != 0 || x->fmt != OUT_TABLE)
        return rc;
    printf("\n");
    for (int i = 0; i < r.narms; i++)
        if (r.arm[i].verdict != VERDICT_NONE)
            campaign_verdict(x->c, &r.arm[i]);
    printf("\n%s\n", _("Lift: each arm's mean per member less the holdout's, with a 95-percent confidence interval by Welch's t-test."));
    return 0;
}

static const char *const NAMES[] = { "summary", "segments", "customers", "rewards", "tiers",
                                     "staff", "tills", "overdrafts", "day", "messages", "campaign", NULL };
enum { CAMPAIGN_REPORT = 10 };

/* Which report, into a->number[0], and --limit into a->number[1]: every
 * mistake in what was typed is said before the manager logs in. */
static int report_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *from = cmd_opt(a, "from"), *to = cmd_opt(a, "to"), *period = cmd_opt(a, "period"),
               *last = cmd_opt(a, "last"), *till = cmd_opt(a, "till"), *segment = cmd_opt(a, "segment"),
               *by = cmd_opt(a, "by"), *date = cmd_opt(a, "date"), *limit = cmd_opt(a, "limit");
    int n = a->n, which = -1;
    for (int i = 0; n >= 1 && NAMES[i]; i++)
        if (strcmp(a->pos[0], NAMES[i]) == 0)
            which = i;
    a->number[0] = which;
    a->number[1] = 50;
    if (which == CAMPAIGN_REPORT) {   /* its own window: no period, no till */
        if (n != 2)
            return cli_fail(_("say which campaign: tally report campaign NAME")), 2;
        if (from || to || period || last || till || segment || by || date || limit)
            return cli_fail(_("the campaign report covers the campaign's own time and every till: it takes only its name")), 2;
        return 0;
    }
    if (n == 2)
        return cli_fail(_("give one report name; see 'tally report --help'")), 2;
    if (n == 0)
        return cli_fail(_("say which report: summary, segments, customers, rewards, tiers, staff, tills, overdrafts, day, messages or campaign; see 'tally report --help'")), 2;
    if (which < 0)
        return cli_fail(_("no report '%s': one of summary, segments, customers, rewards, tiers, staff, tills, overdrafts, day, messages, campaign"), a->pos[0]), 2;
    if (till && !hex_origin(till))
        return cli_fail(_("'%s' is not a till: tills are 8 hex digits, as 'tally report tills' lists them"), till), 2;
    if (segment && which != 1)
        return cli_fail(_("--segment goes with the segments report")), 2;
    if (by && which != 2)
        return cli_fail(_("--by goes with the customers report")), 2;
    if (date && which != 8)
        return cli_fail(_("--date goes with the day report; other reports take --from/--to, --period or --last")), 2;
    if (till && (which == 4 || which == 7 || which == 9))
        return cli_fail("%s", which == 4 ? _("tiers are the whole shop's: leave out --till")
                              : which == 9 ? _("messages are the whole shop's: leave out --till")
                                           : _("balances are the whole shop's: leave out --till")), 2;
    if (which == 8 && (from || to || period || last))
        return cli_fail(_("the day report takes --date, not a period")), 2;
    if (limit && decimal_parse(limit, 0, 0, 100000000, &a->number[1]) != 0)
        return cli_fail(_("--limit takes a whole number (0: all)")), 2;
    return 0;
}

static int report(struct cli *c, struct cmd_args *a)
{
    /* --format json before the command wins; else the report's own --format. */
    const char *format = a->format ? a->format : "table";
    enum out_format fmt = c->json || strcmp(format, "json") == 0 ? OUT_JSON
                          : strcmp(format, "csv") == 0           ? OUT_CSV
                                                                 : OUT_TABLE;
    int which = (int)a->number[0];
    struct ctx x = { .c = c, .fmt = fmt };
    if (which == CAMPAIGN_REPORT)
        return report_campaign(&x, a->pos[1]);
    x.limit = (int)a->number[1];
    x.segment = cmd_opt(a, "segment");
    x.by = cmd_opt(a, "by");
    x.date = cmd_opt(a, "date");
    x.q.till = cmd_opt(a, "till");
    if (which != 8 && store_period_parse(c->s, cmd_opt(a, "from"), cmd_opt(a, "to"), cmd_opt(a, "period"),
                                         cmd_opt(a, "last"), &x.q.period) != 0)
        return cli_store_fail(c), 2;
    switch (which) {
    case 0: return report_summary(&x);
    case 1: return report_segments(&x);
    case 2: return report_customers(&x);
    case 3: return report_rewards(&x);
    case 4: return report_tiers(&x);
    case 5: return report_activity(&x, false);
    case 6: return report_activity(&x, true);
    case 7: return report_overdrafts(&x);
    case 8: return report_day(&x);
    default: return report_messages(&x);
    }
}

const struct cmd_entry cmd_report_entry = {
    .name = "report", .summary = N_("the manager's reports: retention, churn, CLV, segments, rewards, staff …"),
    .usage = USAGE, .options = "from= to= period= last= till= segment= by= date= limit=", .max = 2, .csv = true,
    .check = report_check, .store = CMD_OPEN, .login = CMD_MANAGER, .run = report,
};
