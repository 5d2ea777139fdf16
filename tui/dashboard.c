/* dashboard.c - the manager's screen: headline figures with deltas against
 * the previous period, visits per day, messages to customers, the
 * campaigns of the period and what each variant changed, segments, tiers,
 * top rewards and the members at risk; keys to move the period and to drill down. Every figure
 * comes from store/'s reports, read in one snapshot per refresh: on two
 * connections that share it when they can, the second's thread reading the
 * other sections and then a share of the members' history (load()). */
#define _XOPEN_SOURCE_EXTENDED 1
#include <inttypes.h>
#include <math.h>
#include <stddef.h>
#include <ncursesw/curses.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "i18n.h"
#include "screen.h"
#include "tui.h"
#include "util/util.h"

enum section { S_HEADLINE, S_CHART, S_MESSAGES, S_CAMPAIGNS, S_SEGMENTS, S_TIERS, S_REWARDS, S_AT_RISK, S_COUNT };

#define MAX_TIERS 16
#define MAX_REWARDS 64
#define MAX_AT_RISK 2000
#define MAX_BUCKETS 400
#define DCOLS 8
#define MAX_MSG_ROWS 64
/* The campaigns the period saw, newest first: each is a report of its own
 * (store_report_campaign), so only the latest few. */
#define MAX_CAMPAIGNS 4
/* New sales reload the figures at most this often, or at most a fifth of
 * the time on a shop big enough that a reload takes a while: keys stay
 * answered while the kiosk keeps selling. */
#define RELOAD_MIN_MS 2000
#define RELOAD_SHARE 5

struct drow { char cell[DCOLS][112]; };

struct drill {
    char title[160];
    const char *hdr[DCOLS];
    int w[DCOLS];               /* column widths; 0 ends */
    struct drow *rows;
    int n, cap, top;
};

struct dash {
    store *s;
    store *s2;                  /* the same file again, for load()'s second thread; NULL: one thread */
    const struct dashboard_options *o;
    struct store_period per;
    int64_t today;              /* day number of today */
    struct store_summary cur, prev;
    struct store_segment_stats seg[SEG_COUNT], seg_prev[SEG_COUNT];
    struct store_tier_row tiers[MAX_TIERS];
    int ntiers;
    struct store_reward_row rewards[MAX_REWARDS];
    int nrewards;
    struct store_member_row *risk;
    int nrisk;
    struct store_msg_report_row msgs[MAX_MSG_ROWS];     /* the last is the total */
    int nmsgs;
    struct store_campaign_result camps[MAX_CAMPAIGNS];
    int ncamps;
    int64_t bucket[MAX_BUCKETS];    /* visits per bucket of days */
    int bucket_days[MAX_BUCKETS];
    int nbuckets, chart_cols;
    bool loaded_ok;
    int section, seg_sel;
    int drilling;               /* -1: main screen, else the section drilled into */
    struct drill d;
    char msg[256];
    enum colour msg_colour;
    int64_t data_version;
    bool stale;                 /* the ledger changed since the last load */
    int64_t loaded_at, load_ms; /* monotonic end of the last load, and its length */
    int64_t wrong_pins, prev_wrong_pins;    /* typed at the tills in the period, and before */
    char locked[256];           /* names locked at this till after wrong PINs */
    time_t updated;             /* when the figures were read */
    bool quit;
    int cols_loaded;            /* COLS when the chart's buckets were made */
};

/* --- dates and numbers ------------------------------------------------ */

static void day_text(int64_t day, char out[16])
{
    time_t t = (time_t)(day * 86400);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static void ms_day_text(int64_t ms, char out[16])
{
    if (ms <= 0) {
        snprintf(out, 16, "-");
        return;
    }
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static const char *money(struct dash *d, int64_t minor, char buf[MONEY_BUFSZ])
{
    if (minor == STORE_NA)
        snprintf(buf, MONEY_BUFSZ, "-");
    else
        money_format(minor, store_currency(d->s), d->o->lang, buf, MONEY_BUFSZ);
    return buf;
}


/* Copies text into a drill cell, cut at a character boundary. */
static void setc(char *dst, size_t dstsz, const char *src)
{
    size_t n = strlen(src);
    if (n >= dstsz) {
        n = dstsz - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
            n--;
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* bare: money without its symbol. */
static void fmt_value(struct dash *d, enum store_figure_kind k, int64_t v, bool bare, char *out, size_t outsz)
{
    char m[MONEY_BUFSZ];
    if (v == STORE_NA) {
        snprintf(out, outsz, "-");
        return;
    }
    switch (k) {
    case STORE_FIGURE_MONEY:
        if (bare)
            money_number(v, store_currency(d->s), d->o->lang, out, outsz);
        else
            snprintf(out, outsz, "%s", money(d, v, m));
        break;
    case STORE_FIGURE_PERCENT: percent_format(v, 1, d->o->lang, out, outsz); break;
    case STORE_FIGURE_TENTHS: decimal_format(v, 1, d->o->lang, out, outsz); break;
    case STORE_FIGURE_HUNDREDTHS: decimal_format(v, 2, d->o->lang, out, outsz); break;
    default: snprintf(out, outsz, "%" PRId64, v); break;
    }
}

/* --- loading ------------------------------------------------------------ */

static int set_period(struct dash *d, int64_t first, int64_t last)
{
    char a[16], b[16];
    day_text(first, a);
    day_text(last, b);
    struct store_period p;
    if (store_period_parse(d->s, a, b, NULL, NULL, &p) != 0)
        return -1;
    d->per = p;
    return 0;
}

static int tier_cb(const struct store_tier_row *r, void *arg)
{
    struct dash *d = arg;
    if (d->ntiers < MAX_TIERS)
        d->tiers[d->ntiers++] = *r;
    return 0;
}

static int reward_cb(const struct store_reward_row *r, void *arg)
{
    struct dash *d = arg;
    if (d->nrewards < MAX_REWARDS)
        d->rewards[d->nrewards++] = *r;
    return 0;
}

static int msg_cb(const struct store_msg_report_row *r, void *arg)
{
    struct dash *d = arg;
    /* The total comes last: it always has the last place. */
    if (d->nmsgs < MAX_MSG_ROWS - 1 || !r->trigger[0])
        d->msgs[d->nmsgs < MAX_MSG_ROWS ? d->nmsgs++ : MAX_MSG_ROWS - 1] = *r;
    return 0;
}

/* What load() reads besides the overview, on a store of its own (side.s:
 * on the overview's second thread when the two could share a snapshot)
 * into fields of the dash that the overview does not touch. */
struct side {
    struct dash *d;
    store *s;
    const struct store_report_query *q;
    int cols;                   /* the chart's width, read from ncurses on the main thread */
    int rc;
};

/* A campaign that ran during the period (started before its end, and did
 * not end before its start, both in ms: the period's days are the local
 * calendar's): its result, until MAX_CAMPAIGNS are kept. */
static int campaign_cb(const struct store_campaign *c, void *arg)
{
    struct side *x = arg;
    struct dash *d = x->d;
    if (d->ncamps == MAX_CAMPAIGNS)
        return 0;
    int64_t end = c->stopped && c->stopped < c->expires ? c->stopped : c->expires;
    if (c->started >= d->per.to || end < d->per.from)
        return 0;
    if (store_report_campaign(x->s, c->id, &d->camps[d->ncamps]) != 0)
        return -1;
    d->ncamps++;
    return 0;
}

static int risk_cb(const struct store_member_row *r, void *arg)
{
    struct dash *d = arg;
    if (d->nrisk < MAX_AT_RISK)
        d->risk[d->nrisk++] = *r;
    return 0;
}

static int by_count(const void *a, const void *b)
{
    const struct store_reward_row *x = a, *y = b;
    return (y->count > x->count) - (y->count < x->count);
}

static int by_last_visit(const void *a, const void *b)
{
    const struct store_member_row *x = a, *y = b;
    return (x->last_visit > y->last_visit) - (x->last_visit < y->last_visit);
}

static void build_drill(struct dash *d);

static int locked_cb(const struct store_staff *m, void *arg)
{
    struct side *x = arg;
    struct dash *d = x->d;
    struct store_pin_guard g;
    if (!m->disabled && store_pin_guard(x->s, m->id, &g) == 0 && g.locked) {
        size_t n = strlen(d->locked);
        snprintf(d->locked + n, sizeof d->locked - n, "%s%s", n ? ", " : "", m->name);
    }
    return 0;
}

/* Wrong PINs, on the message line when it is free: a guessed PIN is worth
 * a manager's look, and nothing is shown when there were none. */
static void draw_wrong_pins(struct dash *d)
{
    if (d->msg[0] || d->drilling >= 0 || (!d->wrong_pins && !d->prev_wrong_pins && !d->locked[0]))
        return;
    char line[512];
    int n = snprintf(line, sizeof line, ngettext("%" PRId64 " wrong PIN typed in the period (%" PRId64 " before)",
                                                 "%" PRId64 " wrong PINs typed in the period (%" PRId64 " before)",
                                                 i18n_n(d->wrong_pins)), d->wrong_pins, d->prev_wrong_pins);
    if (d->locked[0] && n > 0 && (size_t)n < sizeof line)
        snprintf(line + n, sizeof line - (size_t)n, _("; locked at this till: %s"), d->locked);
    screen_put(LINES - 2, 1, COLS - 2, d->wrong_pins || d->locked[0] ? C_WARN : C_DIM, line);
}

/* Rewards, messages, campaigns, wrong PINs, locked staff and visits per
 * day: store calls only, no ncurses (it may run on the second thread). */
static void load_side(struct side *x)
{
    struct dash *d = x->d;
    const struct store_report_query *q = x->q;
    int rc = store_report_rewards(x->s, q, reward_cb, d);
    if (rc == 0)
        rc = store_report_messages(x->s, q, msg_cb, d);
    if (rc == 0)
        rc = store_campaign_list(x->s, campaign_cb, x);
    if (rc == 0)
        rc = store_report_wrong_pins(x->s, q, &d->wrong_pins, &d->prev_wrong_pins);
    if (rc == 0)
        rc = store_staff_list(x->s, locked_cb, x);
    /* Visits per day: one bucket of days per column the chart has. */
    d->chart_cols = x->cols;
    int days = d->per.days > 0 ? d->per.days : 1;
    d->nbuckets = days < x->cols ? days : x->cols;
    if (d->nbuckets > MAX_BUCKETS)
        d->nbuckets = MAX_BUCKETS;
    int64_t *per_day = rc == 0 ? calloc((size_t)days, sizeof *per_day) : NULL;
    if (rc == 0 && !per_day)
        rc = -1;
    if (rc == 0)
        rc = store_report_visits_per_day(x->s, q, per_day);
    for (int b = 0; rc == 0 && b < d->nbuckets; b++) {
        int f = (int)((int64_t)b * days / d->nbuckets);
        int l = (int)((int64_t)(b + 1) * days / d->nbuckets - 1);
        d->bucket[b] = 0;
        for (int i = f; i <= l; i++)
            d->bucket[b] += per_day[i];
        d->bucket_days[b] = l - f + 1;
    }
    free(per_day);
    x->rc = rc;
}

static void side_run(void *arg)
{
    load_side(arg);
}

/* Every section from one state of the ledger. On a big shop the member
 * pass is most of the time: when the two stores can share one snapshot
 * (store_snapshot_begin_pair), a second thread with its own connection
 * reads the other sections and then a share of the members' history
 * meanwhile (store_report_overview_pair); else all of it here, one after
 * the other. The summary, segments, the at-risk list and tiers: one pass
 * over the members. */
static void load(struct dash *d)
{
    int64_t started = clock_ms(CLOCK_MONOTONIC);
    struct store_report_query q = { .period = d->per, .till = d->o->till };
    d->ntiers = d->nrewards = d->nrisk = d->nmsgs = d->ncamps = 0;
    d->loaded_ok = false;
    d->wrong_pins = d->prev_wrong_pins = 0;
    d->locked[0] = '\0';
    struct side x = { .d = d, .s = d->s, .q = &q, .cols = COLS - 9 < 10 ? 10 : COLS - 9 };
    /* 1: both stores begun on one commit; 0: d->s alone; -1: neither. */
    int begun = d->s2 ? store_snapshot_begin_pair(d->s, d->s2) : -1;
    bool pair = begun == 1;
    if (begun < 0)
        store_snapshot_begin(d->s);
    int rc;
    if (pair) {
        x.s = d->s2;
        rc = store_report_overview_pair(d->s, d->s2, side_run, &x, &q, &d->cur, &d->prev, d->seg, d->seg_prev,
                                        SEG_AT_RISK, MAX_AT_RISK, risk_cb, d, tier_cb, d);
    } else {
        rc = store_report_overview(d->s, &q, &d->cur, &d->prev, d->seg, d->seg_prev, SEG_AT_RISK, MAX_AT_RISK,
                                   risk_cb, d, tier_cb, d);
        if (rc == 0)
            load_side(&x);
    }
    if (pair)
        store_snapshot_end(d->s2);
    store_snapshot_end(d->s);
    store *failed = rc != 0 ? d->s : x.rc != 0 ? x.s : NULL;
    if (failed) {
        snprintf(d->msg, sizeof d->msg, "%s", store_error(failed));
        d->msg_colour = C_BAD;
    } else {
        d->loaded_ok = true;
        qsort(d->rewards, (size_t)d->nrewards, sizeof d->rewards[0], by_count);
        qsort(d->risk, (size_t)d->nrisk, sizeof d->risk[0], by_last_visit);
    }
    if (d->drilling >= 0)
        build_drill(d);
    store_release(d->s);
    d->stale = false;
    d->updated = time(NULL);
    d->loaded_at = clock_ms(CLOCK_MONOTONIC);
    d->load_ms = d->loaded_at - started;
}

/* --- drill-down lists ------------------------------------------------- */

static void drill_reset(struct dash *d, const char *title)
{
    snprintf(d->d.title, sizeof d->d.title, "%s", title);
    memset(d->d.hdr, 0, sizeof d->d.hdr);
    memset(d->d.w, 0, sizeof d->d.w);
    d->d.n = 0;
}

static struct drow *drill_add(struct dash *d)
{
    if (d->d.n == d->d.cap) {
        int cap = d->d.cap ? d->d.cap * 2 : 64;
        struct drow *r = realloc(d->d.rows, (size_t)cap * sizeof *r);
        if (!r)
            return NULL;
        d->d.rows = r;
        d->d.cap = cap;
    }
    struct drow *r = &d->d.rows[d->d.n++];
    memset(r, 0, sizeof *r);
    return r;
}

static void cols(struct dash *d, const char *const *hdr, const int *w)
{
    for (int i = 0; i < DCOLS && hdr[i]; i++) {
        d->d.hdr[i] = hdr[i];
        d->d.w[i] = w[i];
    }
}

/* The headline's figures (store/figures.c describes them), in its order,
 * and those the figures drill adds after them. */
static const char *const HEADLINE[] = {
    "active_members", "visits", "sales", "average_order_value", "repeat_rate", "retention_rate",
    "churn_rate", "clv", "points_issued", "points_redeemed", "redemption_rate", "liability",
    "nps", "new_members",
};
static const char *const MORE[] = {
    "members", "repeat_members", "purchase_frequency", "previously_active", "churned",
    "lifespan_days", "points_expired", "points_outstanding", "nps_answers", "detractors",
};
#define NFIG (sizeof HEADLINE / sizeof HEADLINE[0])
#define MORE_FIGURES (sizeof MORE / sizeof MORE[0])

/* Figure i of the headline, then of the drill's rest. */
static const struct store_figure *figure_at(size_t i)
{
    return store_figure(i < NFIG ? HEADLINE[i] : MORE[i - NFIG]);
}

static void delta_text(struct dash *d, const struct store_figure *f, int64_t a, int64_t b, bool bare,
                       char *out, size_t outsz, enum colour *c)
{
    *c = C_DIM;
    if (a == STORE_NA || b == STORE_NA) {
        snprintf(out, outsz, " ");
        return;
    }
    int64_t x = a - b;
    if (x == 0) {
        snprintf(out, outsz, "=");
        return;
    }
    char v[96];
    fmt_value(d, f->kind, x < 0 ? -x : x, bare, v, sizeof v);
    snprintf(out, outsz, "%s%s", x > 0 ? "+" : "-", v);
    if (f->good)
        *c = (x > 0) == (f->good > 0) ? C_GOOD : C_BAD;
}

static const char *verdict_word(int verdict)
{
    switch (verdict) {
    case VERDICT_WORKED: return _("it worked");
    case VERDICT_WORSE: return _("worse");
    case VERDICT_UNCLEAR: return _("unclear yet");
    case VERDICT_TOO_FEW: return _("too few");
    default: return "";
    }
}

static void build_drill(struct dash *d)
{
    char t[160], a[16], b[16];
    day_text(d->per.first_day, a);
    day_text(d->per.last_day, b);
    switch (d->drilling) {
    case S_HEADLINE: {
        snprintf(t, sizeof t, ngettext("Figures, %s to %s, against the previous %d day", "Figures, %s to %s, against the previous %d days",
                                         i18n_n(d->per.days)), a, b, d->per.days);
        drill_reset(d, t);
        const char *h[] = { _("figure"), _("this period"), _("previous"), _("change"), NULL };
        const int w[] = { 24, 18, 18, 16 };
        cols(d, h, w);
        for (size_t i = 0; i < NFIG + MORE_FIGURES; i++) {
            const struct store_figure *f = figure_at(i);
            struct drow *r = drill_add(d);
            if (!r)
                return;
            int64_t x = store_figure_value(&d->cur, f), y = store_figure_value(&d->prev, f);
            enum colour c;
            setc(r->cell[0], sizeof r->cell[0], _(f->short_label));
            fmt_value(d, f->kind, x, false, r->cell[1], sizeof r->cell[1]);
            fmt_value(d, f->kind, y, false, r->cell[2], sizeof r->cell[2]);
            if (f->kind == STORE_FIGURE_HUNDREDTHS)    /* shown without its change, as always */
                continue;
            delta_text(d, f, x, y, false, r->cell[3], sizeof r->cell[3], &c);
        }
        break;
    }
    case S_CHART: {
        snprintf(t, sizeof t, _("Visits, %s to %s"), a, b);
        drill_reset(d, t);
        const char *h[] = { _("from"), _("to"), _("visits"), _("per day"), NULL };
        const int w[] = { 12, 12, 10, 10 };
        cols(d, h, w);
        int days = d->per.days > 0 ? d->per.days : 1;
        for (int i = 0; i < d->nbuckets; i++) {
            struct drow *r = drill_add(d);
            if (!r)
                return;
            int64_t f = d->per.first_day + (int64_t)i * days / d->nbuckets;
            day_text(f, r->cell[0]);
            day_text(f + d->bucket_days[i] - 1, r->cell[1]);
            snprintf(r->cell[2], sizeof r->cell[2], "%" PRId64, d->bucket[i]);
            /* visits a day, in tenths, rounded half up */
            decimal_format((d->bucket[i] * 20 / d->bucket_days[i] + 1) / 2, 1, d->o->lang, r->cell[3], sizeof r->cell[3]);
        }
        break;
    }
    case S_MESSAGES: {
        snprintf(t, sizeof t, _("Messages queued %s to %s, and the 14 days after each was sent"), a, b);
        drill_reset(d, t);
        /* Held back: suppressed or expired, as on the section's line; the
         * room goes to the coupons the messages brought that were used. */
        const char *h[] = { _("trigger, channel"), _("queued"), _("sent"), _("failed"), _("held back"),
                            _("opted out"), _("came back"),
                            /* TRANSLATORS: a column: coupons the messages brought that were used (8 letters at most). */
                            C_("messages", "coupons"), NULL };
        const int w[] = { 18, 8, 7, 7, 8, 8, 8, 8 };
        cols(d, h, w);
        for (int i = 0; i < d->nmsgs; i++) {
            const struct store_msg_report_row *x = &d->msgs[i];
            struct drow *r = drill_add(d);
            if (!r)
                return;
            if (x->trigger[0])
                snprintf(r->cell[0], sizeof r->cell[0], "%s, %s", x->trigger, x->channel);
            else
                setc(r->cell[0], sizeof r->cell[0], _("all messages"));
            const int64_t v[] = { x->cur.queued, x->cur.sent, x->cur.failed, x->cur.suppressed + x->cur.expired,
                                  x->cur.opted_out, x->cur.visited, x->cur.coupons_used };
            for (int k = 0; k < 7; k++)
                snprintf(r->cell[1 + k], sizeof r->cell[1 + k], "%" PRId64, v[k]);
        }
        break;
    }
    case S_CAMPAIGNS: {
        snprintf(t, sizeof t, _("Campaigns that ran %s to %s: each variant against its holdout, in the campaign's own window"), a, b);
        drill_reset(d, t);
        const char *h[] = { _("campaign"), _("variant"), _("members"), _("visits per member"), _("lift"),
                            /* xgettext:no-c-format */
                            _("95% CI"), _("verdict"), NULL };
        const int w[] = { 16, 18, 8, 10, 8, 16, 12 };
        cols(d, h, w);
        for (int i = 0; i < d->ncamps; i++)
            for (int k = 0; k < d->camps[i].narms; k++) {
                const struct store_arm_result *x = &d->camps[i].arm[k];
                struct drow *r = drill_add(d);
                if (!r)
                    return;
                setc(r->cell[0], sizeof r->cell[0], k == 0 ? d->camps[i].campaign.name : "");
                char offer[64] = "";
                if (x->offer.kind != OFFER_NONE)
                    store_offer_text(d->s, &x->offer, d->o->lang, offer, sizeof offer);
                if (x->offer.kind == OFFER_NONE)
                    setc(r->cell[1], sizeof r->cell[1], _("holdout"));
                else
                    snprintf(r->cell[1], sizeof r->cell[1], "%s: %s", x->arm, offer);
                snprintf(r->cell[2], sizeof r->cell[2], "%" PRId64, x->members);
                decimal_format(llround(x->visits_mean * 100), 2, d->o->lang, r->cell[3], sizeof r->cell[3]);
                if (x->verdict == VERDICT_NONE)
                    continue;
                if (x->visits_lift.ok) {
                    char lo[32], hi[32];
                    decimal_format(llround(x->visits_lift.diff * 100), 2, d->o->lang, r->cell[4], sizeof r->cell[4]);
                    decimal_format(llround(x->visits_lift.low * 100), 2, d->o->lang, lo, sizeof lo);
                    decimal_format(llround(x->visits_lift.high * 100), 2, d->o->lang, hi, sizeof hi);
                    snprintf(r->cell[5], sizeof r->cell[5], "%s – %s", lo, hi);
                }
                setc(r->cell[6], sizeof r->cell[6], verdict_word(x->verdict));
            }
        break;
    }
    case S_SEGMENTS: {
        snprintf(t, sizeof t, _("Segment %s on %s: %s"), store_segment_text(store_segment_name(d->seg_sel)), b,
                 _(store_segment_rule(d->seg_sel)));
        drill_reset(d, t);
        const char *h[] = { _("name"), _("phone"), _("last visit"), _("visits"), _("spend"), _("consent"), NULL };
        const int w[] = { 23, 15, 12, 8, 12, 8 };
        cols(d, h, w);
        struct store_report_query q = { .period = d->per, .till = d->o->till };
        struct dash *dd = d;
        dd->nrisk = 0;
        /* Reuse the at-risk buffer for the members, then reload it. */
        store_report_segment_members(d->s, &q, d->seg_sel, MAX_AT_RISK, risk_cb, d);
        for (int i = 0; i < d->nrisk; i++) {
            const struct store_member_row *m = &d->risk[i];
            struct drow *r = drill_add(d);
            if (!r)
                break;
            char mo[MONEY_BUFSZ];
            setc(r->cell[0], sizeof r->cell[0], m->name);
            setc(r->cell[1], sizeof r->cell[1], m->phone);
            ms_day_text(m->last_visit, r->cell[2]);
            snprintf(r->cell[3], sizeof r->cell[3], "%" PRId64, m->visits);
            setc(r->cell[4], sizeof r->cell[4], money(d, m->spend, mo));
            setc(r->cell[5], sizeof r->cell[5], m->consent ? _("yes") : _("no"));
        }
        d->nrisk = 0;
        store_report_segment_members(d->s, &q, SEG_AT_RISK, MAX_AT_RISK, risk_cb, d);
        qsort(d->risk, (size_t)d->nrisk, sizeof d->risk[0], by_last_visit);
        store_release(d->s);
        break;
    }
    case S_TIERS: {
        snprintf(t, sizeof t, _("Tiers on %s"), b);
        drill_reset(d, t);
        const char *h[] = { _("tier"), _("members"), _("previous"), _("joined"), _("up"), _("down"), NULL };
        const int w[] = { 20, 10, 10, 10, 8, 8 };
        cols(d, h, w);
        for (int i = 0; i < d->ntiers; i++) {
            const struct store_tier_row *x = &d->tiers[i];
            struct drow *r = drill_add(d);
            if (!r)
                return;
            setc(r->cell[0], sizeof r->cell[0], x->tier);
            snprintf(r->cell[1], sizeof r->cell[1], "%" PRId64, x->members);
            snprintf(r->cell[2], sizeof r->cell[2], "%" PRId64, x->prev_members);
            snprintf(r->cell[3], sizeof r->cell[3], "%" PRId64, x->joined);
            snprintf(r->cell[4], sizeof r->cell[4], "%" PRId64, x->up);
            snprintf(r->cell[5], sizeof r->cell[5], "%" PRId64, x->down);
        }
        break;
    }
    case S_REWARDS: {
        snprintf(t, sizeof t, _("Rewards and coupons used, %s to %s"), a, b);
        drill_reset(d, t);
        const char *h[] = { _("reward"), _("kind"), _("used"), _("previous"), _("points"), _("cost"), NULL };
        const int w[] = { 22, 11, 8, 10, 10, 14 };
        cols(d, h, w);
        for (int i = 0; i < d->nrewards; i++) {
            const struct store_reward_row *x = &d->rewards[i];
            struct drow *r = drill_add(d);
            if (!r)
                return;
            char mo[MONEY_BUFSZ];
            setc(r->cell[0], sizeof r->cell[0], store_reward_row_text(x));
            setc(r->cell[1], sizeof r->cell[1], store_reward_kind_text(x->kind));
            snprintf(r->cell[2], sizeof r->cell[2], "%" PRId64, x->count);
            snprintf(r->cell[3], sizeof r->cell[3], "%" PRId64, x->prev_count);
            snprintf(r->cell[4], sizeof r->cell[4], "%" PRId64, x->points);
            setc(r->cell[5], sizeof r->cell[5], money(d, x->value, mo));
        }
        break;
    }
    default: {
        snprintf(t, sizeof t, ngettext("At risk on %s: %d member overdue against their usual interval",
                                         "At risk on %s: %d members overdue against their usual interval", i18n_n(d->nrisk)),
                 b, d->nrisk);
        drill_reset(d, t);
        const char *h[] = { _("name"), _("last visit"), _("every"), _("phone"), _("email"), _("consent"), NULL };
        const int w[] = { 22, 12, 7, 14, 15, 8 };
        cols(d, h, w);
        for (int i = 0; i < d->nrisk; i++) {
            const struct store_member_row *m = &d->risk[i];
            struct drow *r = drill_add(d);
            if (!r)
                return;
            setc(r->cell[0], sizeof r->cell[0], m->name);
            ms_day_text(m->last_visit, r->cell[1]);
            if (m->interval_days != STORE_NA)
                snprintf(r->cell[2], sizeof r->cell[2], _("%" PRId64 " d"), m->interval_days);
            setc(r->cell[3], sizeof r->cell[3], m->phone);
            setc(r->cell[4], sizeof r->cell[4], m->email);
            setc(r->cell[5], sizeof r->cell[5], m->consent ? _("yes") : _("no"));
        }
        break;
    }
    }
    if (d->d.top > d->d.n - 1)
        d->d.top = d->d.n > 0 ? d->d.n - 1 : 0;
}

/* --- drawing ------------------------------------------------------------ */

static void title_line(struct dash *d)
{
    char a[16], b[16], shop[128] = "";
    attron(A_REVERSE);
    mvhline(0, 0, ' ', COLS);
    attroff(A_REVERSE);
    store_setting_get(d->s, "shop.name", shop, sizeof shop);
    day_text(d->per.first_day, a);
    day_text(d->per.last_day, b);
    /* The period on the right, whole; the shop's name in what is left. */
    char when[128];
    if (d->per.days == 1)
        snprintf(when, sizeof when, _("%s (1 day)"), a);
    else
        snprintf(when, sizeof when, ngettext("%s – %s (%d day)", "%s – %s (%d days)", i18n_n(d->per.days)),
                 a, b, d->per.days);
    int ww = text_columns(when);
    screen_put(0, COLS - ww - 1, ww, C_TITLE, when);
    put_clipped(0, 1, COLS - ww - 3, C_TITLE, shop);
}

static void section_title(struct dash *d, int sec, int y, int x, int w, const char *text)
{
    bool f = d->section == sec;
    char buf[600];
    snprintf(buf, sizeof buf, f ? "> %s" : "  %s", text);
    screen_put(y, x, w, f ? C_TITLE : C_ACCENT, buf);
}

/* A horizontal bar of `value` out of `max` over `width` columns. */
static void hbar(int y, int x, int width, int64_t value, int64_t max, enum colour c)
{
    if (width <= 0 || max <= 0 || value <= 0)
        return;
    int eighths = (int)(value * width * 8 / max);
    if (eighths < 1)
        eighths = 1;
    static const char *const PART[] = { "", "▏", "▎", "▍", "▌", "▋", "▊", "▉" };
    char buf[1024] = "";
    size_t n = 0;
    for (int i = 0; i < eighths / 8 && n + 4 < sizeof buf; i++)
        n += (size_t)snprintf(buf + n, sizeof buf - n, "█");
    if (eighths % 8 && n + 4 < sizeof buf)
        snprintf(buf + n, sizeof buf - n, "%s", PART[eighths % 8]);
    screen_put(y, x, width, c, buf);
}

/* Headline figure i: its value and its change, in colour dc. */
static void headline_texts(struct dash *d, size_t i, bool bare, char v[96], char dl[96], enum colour *dc)
{
    const struct store_figure *f = figure_at(i);
    int64_t a = store_figure_value(&d->cur, f), b = store_figure_value(&d->prev, f);
    fmt_value(d, f->kind, a, bare, v, 96);
    delta_text(d, f, a, b, bare, dl, 96, dc);
}

/* The widest value and change among the headline's figures first..last. */
static void headline_widths(struct dash *d, int first, int last, bool bare, int *vw, int *dw)
{
    *vw = *dw = 1;
    for (int i = first; i <= last && i < (int)NFIG; i++) {
        char v[96], dl[96];
        enum colour dc;
        headline_texts(d, (size_t)i, bare, v, dl, &dc);
        if (text_columns(v) > *vw)
            *vw = text_columns(v);
        if (text_columns(dl) > *dw)
            *dw = text_columns(dl);
    }
}

/* Two columns of label, value and change. Numbers are never cut: labels
 * give way first, and when money still does not fit (a big shop in an
 * 80-column terminal) it goes without its symbol, named in the title. */
/* The widest label of the headline figures first to last, in the
 * reader's language: the money goes bare (its currency in the title)
 * before a label is cut. */
static int label_width(size_t first, size_t last)
{
    int w = 0;
    for (size_t i = first; i <= last && i < NFIG; i++)
        if (text_columns(_(figure_at(i)->short_label)) > w)
            w = text_columns(_(figure_at(i)->short_label));
    return w;
}
static void draw_headline(struct dash *d, int y, int h)
{
    int ncol = 2, per = ((int)NFIG + ncol - 1) / ncol;
    if (per > h - 1)
        per = h - 1;
    int cw = COLS / ncol, vw[2], dw[2];
    bool bare = false;
    for (int c = 0; c < ncol; c++) {
        headline_widths(d, c * per, c * per + per - 1, false, &vw[c], &dw[c]);
        bare = bare || cw - 2 - vw[c] - 1 - dw[c] - 1 < label_width((size_t)(c * per), (size_t)(c * per + per - 1));
    }
    for (int c = 0; bare && c < ncol; c++)
        headline_widths(d, c * per, c * per + per - 1, true, &vw[c], &dw[c]);
    char title[160];
    if (bare)
        snprintf(title, sizeof title, _("Headline, money in %s (change against the previous period)"),
                 store_currency(d->s));
    else
        snprintf(title, sizeof title, "%s", _("Headline (change against the previous period)"));
    section_title(d, S_HEADLINE, y, 0, COLS, title);
    /* When the figures were read, on the right if there is room. */
    char hm[16], upd[64];
    struct tm tm;
    localtime_r(&d->updated, &tm);
    strftime(hm, sizeof hm, "%H:%M:%S", &tm);
    snprintf(upd, sizeof upd, _("updated %s"), hm);
    int w = utf8_width(upd);
    if (utf8_width(title) + 2 + w + 2 <= COLS)
        screen_put(y, COLS - w - 1, w, C_DIM, upd);
    for (size_t i = 0; i < NFIG; i++) {
        int c = (int)i / per, r = (int)i % per;
        if (c >= ncol)
            break;
        char v[96], dl[96];
        enum colour dc;
        headline_texts(d, i, bare, v, dl, &dc);
        int x = c * cw + 2, lw = cw - 2 - vw[c] - 1 - dw[c] - 1;
        if (lw < 1)
            lw = 1;
        screen_put(y + 1 + r, x, lw, C_NORMAL, _(figure_at(i)->short_label));
        screen_put(y + 1 + r, x + lw + vw[c] - text_columns(v), text_columns(v), C_ACCENT, v);
        screen_put(y + 1 + r, x + lw + vw[c] + 1, dw[c], dc, dl);
    }
}

static void draw_chart(struct dash *d, int y, int h)
{
    int64_t max = 0, total = 0;
    for (int i = 0; i < d->nbuckets; i++) {
        int64_t per = d->bucket[i];
        if (per > max)
            max = per;
        total += per;
    }
    char t[200];
    if (d->nbuckets && d->bucket_days[0] > 1)
        /* TRANSLATORS: "Visits (120 in all; each column is 6-7 days)": the
         * form follows the upper bound, 7. */
        snprintf(t, sizeof t, ngettext("Visits (%" PRId64 " in all; each column is %d-%d day)",
                                       "Visits (%" PRId64 " in all; each column is %d-%d days)",
                                       i18n_n(d->bucket_days[d->nbuckets - 1])), total,
                 d->bucket_days[0], d->bucket_days[d->nbuckets - 1]);
    else
        snprintf(t, sizeof t, _("Visits per day (%" PRId64 " in all)"), total);
    section_title(d, S_CHART, y, 0, COLS, t);
    int rows = h - 2;
    if (rows < 1)
        return;
    static const char *const LEVEL[] = { " ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█" };
    int colw = d->nbuckets ? d->chart_cols / d->nbuckets : 1;
    if (colw < 1)
        colw = 1;
    if (colw > 3)
        colw = 3;
    putf(y + 1, 0, 7, C_DIM, "%6" PRId64, max);
    putf(y + rows, 0, 7, C_DIM, "%6d", 0);
    for (int i = 0; i < d->nbuckets; i++) {
        int64_t units = max ? d->bucket[i] * rows * 8 / max : 0;
        if (d->bucket[i] > 0 && units == 0)
            units = 1;
        for (int r = 0; r < rows; r++) {
            int64_t here = units - (int64_t)(rows - 1 - r) * 8;
            if (here <= 0)
                continue;
            for (int k = 0; k < colw; k++)
                screen_put(y + 1 + r, 8 + i * colw + k, 1, C_ACCENT, LEVEL[here > 8 ? 8 : here]);
        }
    }
    char a[16], b[16];
    day_text(d->per.first_day, a);
    day_text(d->per.last_day, b);
    screen_put(y + rows + 1, 8, 12, C_DIM, a);
    int end = 8 + d->nbuckets * colw - 10;
    if (end > 20)
        screen_put(y + rows + 1, end, 10, C_DIM, b);
}

/* Columns a count takes: the widest of a list sets them all. */
static int count_width(int64_t max)
{
    char t[32];
    int n = snprintf(t, sizeof t, "%" PRId64, max);
    return n < 4 ? 4 : n;
}

/* One line: what became of the period's messages (the total row), and
 * who came back after one; Enter shows them per trigger and channel. */
static void draw_messages(struct dash *d, int y)
{
    char t[200];
    if (d->nmsgs == 0) {
        snprintf(t, sizeof t, "%s", _("Messages: none queued in the period"));
    } else {
        const struct store_msg_figures *m = &d->msgs[d->nmsgs - 1].cur;
        snprintf(t, sizeof t, _("Messages: %" PRId64 " sent, %" PRId64 " failed, %" PRId64 " held back, %" PRId64
                                " waiting; %" PRId64 " came back"),
                 m->sent, m->failed, m->suppressed + m->expired, m->waiting, m->visited);
    }
    section_title(d, S_MESSAGES, y, 0, COLS, t);
}

/* One line: the period's campaigns, each variant's verdict on visits;
 * Enter shows the lift and its interval per variant. */
static void draw_campaigns(struct dash *d, int y)
{
    char t[512];
    if (d->ncamps == 0) {
        snprintf(t, sizeof t, "%s", _("Campaigns: none ran in the period"));
    } else {
        int n = snprintf(t, sizeof t, "%s", _("Campaigns:"));
        for (int i = 0; i < d->ncamps && n > 0 && (size_t)n < sizeof t; i++) {
            n += snprintf(t + n, sizeof t - (size_t)n, "%s %s (", i ? ";" : "", d->camps[i].campaign.name);
            for (int k = 0; k < d->camps[i].narms && (size_t)n < sizeof t; k++) {
                const struct store_arm_result *x = &d->camps[i].arm[k];
                if (x->verdict != VERDICT_NONE)
                    n += snprintf(t + n, sizeof t - (size_t)n, "%s%s: %s", k ? ", " : "", x->arm,
                                  verdict_word(x->verdict));
            }
            if ((size_t)n < sizeof t)
                n += snprintf(t + n, sizeof t - (size_t)n, ")");
        }
    }
    section_title(d, S_CAMPAIGNS, y, 0, COLS, t);
}

static void draw_lists(struct dash *d, int y, int h)
{
    int w1 = COLS * 27 / 100, w2 = COLS * 22 / 100, w3 = COLS * 24 / 100;
    int x1 = 0, x2 = w1, x3 = w1 + w2, x4 = w1 + w2 + w3, w4 = COLS - x4;
    section_title(d, S_SEGMENTS, y, x1, w1 - 1, _("Segments"));
    section_title(d, S_TIERS, y, x2, w2 - 1, _("Tiers"));
    section_title(d, S_REWARDS, y, x3, w3 - 1, _("Top rewards"));
    section_title(d, S_AT_RISK, y, x4, w4, _("At risk"));
    int rows = h - 1;
    int64_t max = 0;
    for (int i = 0; i < SEG_COUNT; i++)
        if (d->seg[i].members > max)
            max = d->seg[i].members;
    int cw = count_width(max);
    for (int i = 0; i < SEG_COUNT && i < rows; i++) {
        bool sel = d->section == S_SEGMENTS && d->seg_sel == i;
        screen_put(y + 1 + i, x1, 10, sel ? C_TITLE : C_NORMAL, store_segment_text(store_segment_name(i)));
        putf(y + 1 + i, x1 + 11, cw, C_NORMAL, "%*" PRId64, cw, d->seg[i].members);
        hbar(y + 1 + i, x1 + 12 + cw, w1 - 13 - cw, d->seg[i].members, max, C_ACCENT);
    }
    max = 0;
    for (int i = 0; i < d->ntiers; i++)
        if (d->tiers[i].members > max)
            max = d->tiers[i].members;
    cw = count_width(max);
    int nw = 4;                 /* the longest tier name, up to 12 columns */
    for (int i = 0; i < d->ntiers; i++)
        if (utf8_width(d->tiers[i].tier) > nw)
            nw = utf8_width(d->tiers[i].tier);
    if (nw > 12)
        nw = 12;
    for (int i = 0; i < d->ntiers && i < rows; i++) {
        put_clipped(y + 1 + i, x2, nw, C_NORMAL, d->tiers[i].tier);
        putf(y + 1 + i, x2 + nw + 1, cw, C_NORMAL, "%*" PRId64, cw, d->tiers[i].members);
        hbar(y + 1 + i, x2 + nw + 2 + cw, w2 - nw - 3 - cw, d->tiers[i].members, max, C_ACCENT);
    }
    if (!d->ntiers)
        screen_put(y + 1, x2 + 2, w2 - 3, C_DIM, _("no tiers"));
    int shown = 0;
    max = 0;
    for (int i = 0; i < d->nrewards; i++)
        if (d->rewards[i].count > max)
            max = d->rewards[i].count;
    cw = count_width(max);
    for (int i = 0; i < d->nrewards && shown < rows; i++) {
        if (!d->rewards[i].count)
            continue;
        putf(y + 1 + shown, x3, cw, C_NORMAL, "%*" PRId64, cw, d->rewards[i].count);
        const struct store_reward_row *rw = &d->rewards[i];
        put_clipped(y + 1 + shown, x3 + cw + 1, w3 - cw - 2, C_NORMAL, store_reward_row_text(rw));
        shown++;
    }
    if (!shown)
        screen_put(y + 1, x3 + 2, w3 - 3, C_DIM, _("none used"));
    for (int i = 0; i < d->nrisk && i < rows; i++) {
        const struct store_member_row *m = &d->risk[i];
        char day[16];
        ms_day_text(m->last_visit, day);
        bool more = i == rows - 1 && d->nrisk > rows;
        if (more) {
            char t[96];
            snprintf(t, sizeof t, ngettext("… %d more (Enter)", "… %d more (Enter)", i18n_n(d->nrisk - rows + 1)),
                     d->nrisk - rows + 1);
            screen_put(y + 1 + i, x4, w4, C_DIM, t);
            break;
        }
        put_clipped(y + 1 + i, x4, w4 - 14, C_NORMAL, m->name);
        screen_put(y + 1 + i, COLS - 13, 10, C_WARN, day);
        screen_put(y + 1 + i, COLS - 2, 1, C_NORMAL, m->consent ? "+" : "-");
    }
    if (!d->nrisk)
        screen_put(y + 1, x4 + 2, w4 - 3, C_DIM, _("nobody"));
}

static void draw_drill(struct dash *d)
{
    put_wrapped(1, 1, COLS - 2, 2, C_ACCENT, d->d.title);
    /* Each heading whole: a column narrower than its heading in this
     * language widens, and the first (names, days) gives up the room. */
    int w[DCOLS] = { 0 }, total = 0;
    for (int c = 0; c < DCOLS && d->d.w[c]; c++) {
        int hw = text_columns(d->d.hdr[c]) + 1;
        w[c] = d->d.w[c] > hw ? d->d.w[c] : hw;
        total += w[c];
    }
    if (total > COLS - 2)
        w[0] = w[0] - (total - (COLS - 2)) > 12 ? w[0] - (total - (COLS - 2)) : 12;
    int x = 1;
    for (int c = 0; c < DCOLS && w[c]; c++) {
        screen_put(3, x, w[c] - 1, C_DIM, d->d.hdr[c]);
        x += w[c];
    }
    int rows = LINES - 7;
    if (d->d.top > d->d.n - rows)
        d->d.top = d->d.n - rows > 0 ? d->d.n - rows : 0;
    for (int i = 0; i < rows && d->d.top + i < d->d.n; i++) {
        const struct drow *r = &d->d.rows[d->d.top + i];
        x = 1;
        for (int c = 0; c < DCOLS && w[c]; c++) {
            if (c == 0)
                put_clipped(4 + i, x, w[c] - 1, C_NORMAL, r->cell[c]);
            else
                screen_put(4 + i, x, w[c] - 1, C_NORMAL, r->cell[c]);
            x += w[c];
        }
    }
    if (!d->d.n)
        screen_put(4, 1, COLS - 2, C_DIM, _("Nothing in this period."));
    else {
        char t[96];
        int last = d->d.top + rows < d->d.n ? d->d.top + rows : d->d.n;
        snprintf(t, sizeof t, _("%d-%d of %d"), d->d.top + 1, last, d->d.n);
        screen_put(LINES - 2, 1, COLS - 2, C_DIM, t);
    }
}

static void draw(struct dash *d)
{
    erase();
    if (screen_too_small()) {
        char t[256];
        snprintf(t, sizeof t, _("The dashboard needs a terminal of at least %dx%d (this one is %dx%d). Make it larger, or press q to quit."),
                 MIN_COLS, MIN_ROWS, COLS, LINES);
        put_wrapped(0, 0, COLS, LINES, C_WARN, t);
        refresh();
        return;
    }
    title_line(d);
    const char *bar[20] = { 0 };
    if (d->drilling >= 0) {
        draw_drill(d);
        bar[0] = "↑↓"; bar[1] = _("scroll"); bar[2] = "PgUp/PgDn"; bar[3] = _("page");
        bar[4] = "Esc"; bar[5] = _("back"); bar[6] = "q"; bar[7] = _("quit");
    } else {
        int extra = LINES - MIN_ROWS;
        int hh = 8, ch = 4 + extra / 2;
        int ly = 3 + hh + ch, lh = LINES - 2 - ly;
        draw_headline(d, 1, hh);
        draw_chart(d, 1 + hh, ch);
        draw_messages(d, 1 + hh + ch);
        draw_campaigns(d, 2 + hh + ch);
        draw_lists(d, ly, lh);
        bar[0] = "←→ [ ]"; bar[1] = _("period"); bar[2] = "1 7 3 Y"; bar[3] = _("day/7d/30d/year");
        bar[4] = "Tab"; bar[5] = _("section"); bar[6] = "Enter"; bar[7] = _("details");
        bar[8] = "q"; bar[9] = _("quit");
    }
    if (d->msg[0])
        screen_put(LINES - 2, 1, COLS - 2, d->msg_colour, d->msg);
    draw_wrong_pins(d);
    help_bar(bar);
    refresh();
}

/* --- keys ----------------------------------------------------------------- */

static void shift(struct dash *d, int dir)
{
    int64_t n = d->per.days;
    int64_t first = d->per.first_day + dir * n, last = d->per.last_day + dir * n;
    if (dir > 0 && first > d->today) {
        snprintf(d->msg, sizeof d->msg, "%s", _("That is the latest period: it ends today."));
        d->msg_colour = C_WARN;
        return;
    }
    if (set_period(d, first, last) == 0)
        load(d);
}

static void last_days(struct dash *d, const char *last)
{
    struct store_period p;
    if (store_period_parse(d->s, NULL, NULL, NULL, last, &p) == 0) {
        d->per = p;
        load(d);
    }
}

static void key(struct dash *d, wint_t ch, bool fkey)
{
    d->msg[0] = '\0';
    if (!fkey && (ch == 'q' || ch == 'Q')) {
        d->quit = true;
        return;
    }
    if (screen_too_small())
        return;
    if (d->drilling >= 0) {
        int page = LINES - 8;
        if (fkey && ch == KEY_UP) d->d.top--;
        else if (fkey && ch == KEY_DOWN) d->d.top++;
        else if (fkey && ch == KEY_PPAGE) d->d.top -= page;
        else if (fkey && ch == KEY_NPAGE) d->d.top += page;
        else if (fkey && ch == KEY_HOME) d->d.top = 0;
        else if (fkey && ch == KEY_END) d->d.top = d->d.n;
        else if ((!fkey && (ch == 27 || ch == 127 || ch == 8)) || (fkey && (ch == KEY_BACKSPACE || ch == KEY_LEFT)))
            d->drilling = -1;
        if (d->d.top < 0)
            d->d.top = 0;
        return;
    }
    if ((fkey && ch == KEY_LEFT) || (!fkey && ch == '['))
        shift(d, -1);
    else if ((fkey && ch == KEY_RIGHT) || (!fkey && ch == ']'))
        shift(d, 1);
    else if (!fkey && ch == '1')
        last_days(d, "1d");
    else if (!fkey && ch == '7')
        last_days(d, "7d");
    else if (!fkey && ch == '3')
        last_days(d, "30d");
    else if (!fkey && (ch == 'y' || ch == 'Y'))
        last_days(d, "1y");
    else if (!fkey && ch == '\t')
        d->section = (d->section + 1) % S_COUNT;
    else if (fkey && ch == KEY_BTAB)
        d->section = (d->section + S_COUNT - 1) % S_COUNT;
    else if (fkey && ch == KEY_UP && d->section == S_SEGMENTS)
        d->seg_sel = (d->seg_sel + SEG_COUNT - 1) % SEG_COUNT;
    else if (fkey && ch == KEY_DOWN && d->section == S_SEGMENTS)
        d->seg_sel = (d->seg_sel + 1) % SEG_COUNT;
    else if ((!fkey && (ch == '\n' || ch == '\r')) || (fkey && ch == KEY_ENTER)) {
        d->drilling = d->section;
        d->d.top = 0;
        build_drill(d);
    }
}

/* --- the loop --------------------------------------------------------- */

/* --- the loop --------------------------------------------------------- */

static void loop_draw(void *arg)
{
    struct dash *d = arg;
    draw(d);
    store_release(d->s);
}

static void loop_key(void *arg, wint_t ch, bool fkey)
{
    key(arg, ch, fkey);
}

/* A new width means new chart buckets; another process's writes mean
 * new figures, read again no more often than the last read's cost allows. */
static void loop_tick(void *arg)
{
    struct dash *d = arg;
    if (COLS != d->cols_loaded && !screen_too_small()) {
        d->cols_loaded = COLS;
        load(d);
    }
    store_release(d->s);
    int64_t v = store_data_version(d->s);
    if (v != d->data_version) {
        d->data_version = v;
        d->stale = true;
    }
    int64_t gap = d->load_ms * RELOAD_SHARE > RELOAD_MIN_MS ? d->load_ms * RELOAD_SHARE : RELOAD_MIN_MS;
    if (d->stale && clock_ms(CLOCK_MONOTONIC) - d->loaded_at >= gap)
        load(d);
}

int dashboard_run(store *s, const struct dashboard_options *o)
{
    struct dash d = { .s = s, .o = o, .per = o->period, .drilling = -1, .seg_sel = SEG_AT_RISK };
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        fprintf(stderr, "tally: %s\n", _("the dashboard needs a terminal"));
        return 1;
    }
    struct store_period today;
    if (store_period_parse(s, NULL, NULL, NULL, "1d", &today) != 0) {
        fprintf(stderr, "tally: %s\n", store_error(s));
        return 1;
    }
    d.today = today.last_day;
    d.risk = calloc(MAX_AT_RISK, sizeof *d.risk);
    if (!d.risk) {
        fprintf(stderr, "tally: %s\n", _("out of memory"));
        return 1;
    }
    char accent[32] = "";
    store_setting_get(s, "shop.accent", accent, sizeof accent);
    if (screen_open(accent) != 0) {
        fprintf(stderr, "tally: %s\n", _("cannot start the screen: is TERM set?"));
        free(d.risk);
        return 1;
    }
    /* Failing to open it only costs the second thread. */
    char err[512];
    d.s2 = store_open(store_path(s), false, err, sizeof err);
    load(&d);
    d.cols_loaded = COLS;
    d.data_version = store_data_version(s);
    struct screen_loop loop = { .arg = &d, .draw = loop_draw, .key = loop_key, .fd = -1, .tick = loop_tick,
                                .quit = &d.quit };
    screen_loop(&loop);
    screen_close();
    if (d.s2)
        store_close(d.s2);
    free(d.d.rows);
    free(d.risk);
    return 0;
}
