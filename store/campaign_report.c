/* campaign_report.c - what a campaign changed (campaigns.h, "the result").
 *
 * One pass over the campaign's members, each with their visits and sales
 * in the window read from the report rollups (roll_cust by customer and
 * moment, plus the unfolded roll_log), so the figures are the reports'
 * own: a refunded or voided purchase is no visit. Sums and sums of
 * squares per arm give the means and variances; util/stats.c the
 * intervals. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

struct acc { double v, vv, sp, spsp; };

static struct store_arm_result *arm_row(struct store_campaign_result *r, const char *arm)
{
    for (int i = 0; i < r->narms; i++)
        if (strcmp(r->arm[i].arm, arm) == 0)
            return &r->arm[i];
    return NULL;
}

/* The value of the offers used: amounts off as they are, a reward or
 * points at the value of a point (1 / points.pay_rate of the currency
 * unit); a percentage off or a multiplier depends on purchases the ledger
 * does not price, so it is not known. */
static int64_t offer_cost(store *s, const struct store_arm_result *a)
{
    int64_t pay_rate = setting_int(s, "points.pay_rate"), unit = 1;
    struct store_reward r;
    for (int i = 0; i < s->digits; i++)
        unit *= 10;
    if (pay_rate <= 0)
        pay_rate = 100;
    switch (a->offer.kind) {
    case OFFER_AMOUNT:
        return a->used * a->offer.value;
    case OFFER_POINTS:
        return (a->used * a->offer.value * unit + pay_rate / 2) / pay_rate;
    case OFFER_REWARD:
        if (store_reward_get(s, a->offer.reward, &r) == 0 && r.points > 0)
            return (a->used * r.points * unit + pay_rate / 2) / pay_rate;
        return STORE_NA;
    default:
        return STORE_NA;
    }
}

static void lift_of(const struct welch *w, int rc, struct store_lift *out)
{
    out->diff = w->diff;
    out->low = w->low;
    out->high = w->high;
    out->df = w->df;
    out->ok = rc == 0;
}

/* Each member of campaign ?1 with their arm, visits and sales in the
 * window ?2..?3 (roll_cust, and the log's rows as lg), whether their
 * coupon was used and their message's status. roll_cust is read member
 * by member in their order, so the sums need no sort. */
#define ARM_ROWS \
    " SELECT m.arm, coalesce(rc.v, 0) + coalesce(lg.v, 0), coalesce(rc.sp, 0) + coalesce(lg.sp, 0)," \
    "  m.coupon <> '' AND coalesce((SELECT uses FROM coupons WHERE code = m.coupon), 0) > 0," \
    "  coalesce((SELECT status FROM outbox WHERE key = 'msg:campaign:' || m.campaign || ':' || m.customer), -1)" \
    " FROM campaign_members m" \
    " LEFT JOIN lg ON lg.customer = m.customer" \
    " LEFT JOIN (SELECT k.customer, sum(r.visits) AS v, sum(r.spend) AS sp FROM campaign_members k" \
    "   CROSS JOIN roll_cust r ON r.customer = k.customer AND r.wall >= ?2 AND r.wall < ?3" \
    "   WHERE k.campaign = ?1 GROUP BY k.customer) rc ON rc.customer = m.customer" \
    " WHERE m.campaign = ?1"

static int result_tx(store *s, const char *campaign, struct store_campaign_result *r)
{
    memset(r, 0, sizeof *r);
    if (store_campaign_get(s, campaign, &r->campaign) != 0)
        return -1;
    const struct store_campaign *c = &r->campaign;
    r->from = c->started;
    r->to = c->stopped && c->stopped < c->expires ? c->stopped : c->expires;
    if (store_now(s) < r->to)
        r->to = store_now(s);
    for (int i = 0; i < c->narms; i++) {
        memcpy(r->arm[i].arm, c->arm[i].name, sizeof r->arm[i].arm);    /* same size, both NUL-ended */
        r->arm[i].offer = c->arm[i].offer;
    }
    r->narms = c->narms;
    if (c->held_out > 0)
        snprintf(r->arm[r->narms++].arm, sizeof r->arm[0].arm, "%s", STORE_CAMPAIGN_HOLDOUT);
    /* The log's rows in the window: a short log read whole; a long one
     * (a history just joined or imported) through its index in member
     * order, the campaign's members only (read whole, its 1.7 million
     * rows of a year cost twice the rest of the report). */
    int indexed = rollup_log_indexed(s);
    if (indexed < 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, indexed
        ? "WITH lg AS MATERIALIZED (SELECT k.customer, sum(l.visits) AS v, sum(l.spend) AS sp"
          "  FROM campaign_members k CROSS JOIN roll_log l ON l.customer = k.customer"
          "  AND l.wall >= ?2 AND l.wall < ?3 WHERE k.campaign = ?1 GROUP BY k.customer)" ARM_ROWS
        : "WITH lg AS MATERIALIZED (SELECT customer, sum(visits) AS v, sum(spend) AS sp FROM roll_log"
          "  WHERE wall >= ?2 AND wall < ?3 GROUP BY customer)" ARM_ROWS);
    if (!st)
        return -1;
    bind_text(st, 1, c->id);
    sqlite3_bind_int64(st, 2, r->from);
    sqlite3_bind_int64(st, 3, r->to);
    struct acc acc[STORE_CAMPAIGN_ARMS + 1] = { { 0 } };
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct store_arm_result *a = arm_row(r, (const char *)sqlite3_column_text(st, 0));
        if (!a)
            continue;
        struct acc *x = &acc[a - r->arm];
        int64_t v = sqlite3_column_int64(st, 1), sp = sqlite3_column_int64(st, 2);
        a->members++;
        a->visits += v;
        a->sales += sp;
        a->visitors += v > 0;
        x->v += (double)v;
        x->vv += (double)v * (double)v;
        x->sp += (double)sp;
        x->spsp += (double)sp * (double)sp;
        a->messages += sqlite3_column_int(st, 4) == MSG_SENT;
        if (a->offer.kind == OFFER_POINTS)
            a->used++;
        else if (a->offer.kind == OFFER_MULTIPLIER)
            a->used += v > 0;
        else
            a->used += sqlite3_column_int(st, 3);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(s);
    struct store_arm_result *hold = arm_row(r, STORE_CAMPAIGN_HOLDOUT);
    for (int i = 0; i < r->narms; i++) {
        struct store_arm_result *a = &r->arm[i];
        double n = (double)a->members;
        if (a->members > 0) {
            a->visits_mean = acc[i].v / n;
            a->sales_mean = acc[i].sp / n;
        }
        if (a->members > 1) {
            a->visits_var = fmax(0, (acc[i].vv - acc[i].v * acc[i].v / n) / (n - 1));
            a->sales_var = fmax(0, (acc[i].spsp - acc[i].sp * acc[i].sp / n) / (n - 1));
        }
    }
    for (int i = 0; i < r->narms; i++) {
        struct store_arm_result *a = &r->arm[i];
        if (a == hold) {
            a->cost = 0;
            a->verdict = VERDICT_NONE;
            continue;
        }
        a->cost = offer_cost(s, a);
        if (!hold) {
            a->verdict = VERDICT_TOO_FEW;
            continue;
        }
        struct welch w;
        int ok = welch(a->visits_mean, a->visits_var, a->members, hold->visits_mean, hold->visits_var,
                       hold->members, 0.95, &w);
        lift_of(&w, ok, &a->visits_lift);
        ok |= welch(a->sales_mean, a->sales_var, a->members, hold->sales_mean, hold->sales_var, hold->members,
                    0.95, &w);
        lift_of(&w, ok, &a->sales_lift);
        a->extra_sales = (int64_t)llround((a->sales_mean - hold->sales_mean) * (double)a->members);
        if (!a->visits_lift.ok)
            a->verdict = VERDICT_TOO_FEW;
        else if (a->visits_lift.low > 0)
            a->verdict = VERDICT_WORKED;
        else if (a->visits_lift.high < 0)
            a->verdict = VERDICT_WORSE;
        else
            a->verdict = VERDICT_UNCLEAR;
        a->more_members = welch_members_needed(a->visits_lift.diff, a->visits_var, a->members, hold->visits_var,
                                               hold->members);
    }
    return 0;
}

/* In a snapshot that is open already (the dashboard's) it reads there
 * and leaves it open: ending it would have the dashboard's later reports
 * read a newer state (and, with the memory map dropped with it, through
 * a page cache left cold). */
int store_report_campaign(store *s, const char *campaign, struct store_campaign_result *out)
{
    bool began;
    if (report_read_begin(s, &began) != 0)
        return -1;
    return report_read_end(s, began, result_tx(s, campaign, out));
}
