/* overdrafts.c - the overdrafts report: the members whose balance is below
 * zero at the end of the period and of the previous one, the events that
 * took it there, and the purchases refunded beyond them (report.c has the
 * rest of the reports and the definitions they share).
 *
 * A balance at a moment T is worked out from the UTC month boundary B
 * nearest to it: the balance at B, plus the counted effects (and the
 * purchases' corrections, lot_adjust) in [B, T) when B is before T, or
 * less those in [T, B) when after. The balance at B is the sum of the
 * customer's months before it in roll_balance (schema 13, kept by
 * rollup.c), or what the customers table holds now less the months from
 * B on: the two agree ('tally check' holds every balance to the sum of its
 * effects, and of its months). Both ends of the period are worked out in
 * one pass over the months of the side that holds the fewest: after the
 * start's boundary, both ends then summed from later on; before the end's,
 * both from before; or before the start's and after the end's. The sums
 * are kept per customer in memory and the later ones compared with the
 * customers table in one pass over it. A month of a 100,000-member shop is
 * some 40,000 rows of roll_balance against 200,000 events: summed from
 * the events, June of a year's history read half of them.
 *
 * The partial stretches (at most half a month each) are read from the
 * events: the pass finds them through events_wall without reading them
 * (the index holds their origin and seq), then reads them in the table's
 * order: a till numbers its events without gaps, mostly in the order of
 * their time, so a stretch of them is a few runs of consecutive rows, each
 * read with one seek. Looked up one by one from the index, the same rows
 * cost four times the instructions. Events far from their neighbours in
 * time (a setting made today at the till that enrolled a member a year
 * ago, imported history) are runs of their own: no worse than a lookup. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* Rows of a gap between two events of a stretch read through rather than
 * sought past: a seek costs about what five rows read in order do. */
#define OD_GAP 8

/* One customer's effects, on the side of each moment that it is summed
 * from (points, stamps, credit). Customer ids are at most STORE_ID_LEN
 * (events.c checks every event, and customers come from events). */
struct od_sum {
    char id[STORE_ID_LEN + 1];
    bool used, seen[2];     /* seen: a row counted for that moment */
    int64_t v[2][3];
};

/* A member overdrawn at the end of the period, with that balance. */
struct od_neg {
    char id[STORE_ID_LEN + 1];
    int64_t b[3];
};

struct od_pass {
    int64_t when[2];        /* the period's start and its end */
    int64_t month[2];       /* the month starting at each moment's boundary B (rollup_month) */
    bool later[2];          /* a balance at B is now less the months from it on, else the months before */
    int64_t lo[2], hi[2];   /* the partial stretch between B and the moment, [lo, hi); empty at B */
    int sign[2];            /* how its effects go into the sums (od_pass_moment) */
    struct od_sum *slot;    /* open addressing on id_hash, cap a power of two */
    size_t cap, n;
    int64_t count[2];       /* members overdrawn at each moment */
    struct od_neg *neg;     /* at the end, in the list's order once sorted */
    size_t nneg, negcap;
};

/* Whether a month's row counts for moment k's balance at its boundary. */
static bool od_side(const struct od_pass *p, int k, int64_t month)
{
    return p->later[k] ? month >= p->month[k] : month < p->month[k];
}

/* a + b, held at the ends of int64_t rather than wrapped (no balance comes
 * near them). */
static int64_t add_held(int64_t a, int64_t b)
{
    int64_t r;
    if (__builtin_add_overflow(a, b, &r))
        return b > 0 ? INT64_MAX : INT64_MIN;
    return r;
}

/* id into a buffer of STORE_ID_LEN + 1 (snprintf costs ten times more,
 * once per customer). */
static void put_id(char *out, const char *id)
{
    size_t n = strnlen(id, STORE_ID_LEN);
    memcpy(out, id, n);
    out[n] = '\0';
}

static struct od_sum *od_find(struct od_pass *p, const char *id)
{
    size_t mask = p->cap - 1;
    for (size_t i = id_hash(id) & mask;; i = (i + 1) & mask)
        if (!p->slot[i].used || !strcmp(p->slot[i].id, id))
            return &p->slot[i];
}

/* The customer's sums, a new entry if none yet; NULL: out of memory. */
static struct od_sum *od_get(struct od_pass *p, const char *id)
{
    if (2 * (p->n + 1) > p->cap) {
        struct od_pass grown = *p;
        grown.cap = p->cap ? 2 * p->cap : 4096;
        grown.slot = calloc(grown.cap, sizeof *grown.slot);
        if (!grown.slot)
            return NULL;
        for (size_t i = 0; i < p->cap; i++)
            if (p->slot[i].used)
                *od_find(&grown, p->slot[i].id) = p->slot[i];
        free(p->slot);
        *p = grown;
    }
    struct od_sum *e = od_find(p, id);
    if (!e->used) {
        e->used = true;
        put_id(e->id, id);
        p->n++;
    }
    return e;
}

/* Adds sign * v to the customer's sums of moment k. */
static int od_put(struct od_pass *p, struct od_sum **e, int k, const char *customer, const int64_t v[3], int sign)
{
    if (!*e && !(*e = od_get(p, customer)))
        return -1;
    (*e)->seen[k] = true;
    for (int u = 0; u < 3; u++)
        (*e)->v[k][u] = add_held((*e)->v[k][u], sign < 0 ? (v[u] == INT64_MIN ? INT64_MAX : -v[u]) : v[u]);
    return 0;
}

/* A row of effects (an event, or a purchase's correction) at wall: in a
 * moment's partial stretch, into its sums with the stretch's sign. */
static int od_add(struct od_pass *p, int64_t wall, const char *customer, const int64_t v[3])
{
    struct od_sum *e = NULL;
    for (int k = 0; k < 2; k++)
        if (wall >= p->lo[k] && wall < p->hi[k] && od_put(p, &e, k, customer, v, p->sign[k]) != 0)
            return -1;
    return 0;
}

static int od_add_row(store *s, struct od_pass *p, sqlite3_stmt *st)
{
    const char *customer = (const char *)sqlite3_column_text(st, 1);
    const int64_t v[3] = { sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) };
    if (od_add(p, sqlite3_column_int64(st, 0), customer ? customer : "", v) != 0)
        return store_fail(s, _("out of memory"));
    return 0;
}

/* The months of roll_balance from first to before last, into the sums of
 * each moment whose side they are on. */
static int od_read_months(store *s, struct od_pass *p, int64_t first, int64_t last)
{
    sqlite3_stmt *st = store_sql(s, "SELECT month, customer, points, stamps, credit FROM roll_balance"
                                    " WHERE month >= ?1 AND month < ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, first);
    sqlite3_bind_int64(st, 2, last);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *customer = (const char *)sqlite3_column_text(st, 1);
        const int64_t v[3] = { sqlite3_column_int64(st, 2), sqlite3_column_int64(st, 3), sqlite3_column_int64(st, 4) };
        int64_t month = sqlite3_column_int64(st, 0);
        struct od_sum *e = NULL;
        for (int k = 0; out == 0 && k < 2; k++)
            if (od_side(p, k, month) && od_put(p, &e, k, customer ? customer : "", v, 1) != 0)
                out = store_fail(s, _("out of memory"));
    }
    return report_rows_done(s, st, rc, out);
}

/* The counted effects of a till's events first..last (seq). */
static int od_read_run(store *s, struct od_pass *p, const char *origin, int64_t first, int64_t last)
{
    sqlite3_stmt *st = store_sql(s, "SELECT wall, customer, points, stamps, credit FROM events e"
                                    " WHERE origin = ?1 AND seq >= ?2 AND seq <= ?3 AND customer <> ''"
                                    " AND (points <> 0 OR stamps <> 0 OR credit <> 0) AND " COUNTED("e"));
    if (!st)
        return -1;
    bind_text(st, 1, origin);
    sqlite3_bind_int64(st, 2, first);
    sqlite3_bind_int64(st, 3, last);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        out = od_add_row(s, p, st);
    return report_rows_done(s, st, rc, out);
}

/* A till's events of the stretches, by seq. */
struct od_origin {
    char origin[STORE_ORIGIN_LEN + 1];
    int64_t *seq;
    size_t n, cap;
};

/* Reads one till's events: its seqs marked in a bitmap, then each run of
 * them (gaps of up to OD_GAP rows read through: od_add leaves those
 * rows out). */
static int od_read_origin(store *s, struct od_pass *p, const struct od_origin *o)
{
    int64_t lo = o->seq[0], hi = o->seq[0];
    for (size_t i = 1; i < o->n; i++) {
        lo = o->seq[i] < lo ? o->seq[i] : lo;
        hi = o->seq[i] > hi ? o->seq[i] : hi;
    }
    /* seqs have no gaps, so hi - lo is at most the till's number of events */
    size_t bits = (size_t)(hi - lo) + 1;
    uint64_t *set = calloc(bits / 64 + 1, sizeof *set);
    if (!set)
        return store_fail(s, _("out of memory"));
    for (size_t i = 0; i < o->n; i++) {
        size_t b = (size_t)(o->seq[i] - lo);
        set[b / 64] |= (uint64_t)1 << (b % 64);
    }
    int64_t first = -1, last = -1;
    int rc = 0;
    for (size_t b = 0; rc == 0 && b < bits; b++) {
        if (!set[b / 64]) {
            b |= 63;
            continue;
        }
        if (!(set[b / 64] >> (b % 64) & 1))
            continue;
        int64_t seq = lo + (int64_t)b;
        if (first >= 0 && seq - last - 1 <= OD_GAP) {
            last = seq;
            continue;
        }
        if (first >= 0)
            rc = od_read_run(s, p, o->origin, first, last);
        first = last = seq;
    }
    if (rc == 0 && first >= 0)
        rc = od_read_run(s, p, o->origin, first, last);
    free(set);
    return rc;
}

/* The events with from <= wall <= to, grouped by till. */
static int od_find_events(store *s, int64_t from, int64_t to, struct od_origin **origins, size_t *norigins)
{
    sqlite3_stmt *st = store_sql(s, "SELECT origin, seq FROM events INDEXED BY events_wall"
                                    " WHERE wall >= ?1 AND wall <= ?2");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, from);
    sqlite3_bind_int64(st, 2, to);
    struct od_origin *o = NULL;
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *origin = (const char *)sqlite3_column_text(st, 0);
        origin = origin ? origin : "";
        if (!o || strcmp(o->origin, origin)) {
            o = NULL;
            for (size_t i = 0; i < *norigins && !o; i++)
                if (!strcmp((*origins)[i].origin, origin))
                    o = &(*origins)[i];
        }
        if (!o) {
            struct od_origin *grown = realloc(*origins, (*norigins + 1) * sizeof *grown);
            if (!grown) {
                out = store_fail(s, _("out of memory"));
                break;
            }
            *origins = grown;
            o = &grown[(*norigins)++];
            memset(o, 0, sizeof *o);
            snprintf(o->origin, sizeof o->origin, "%s", origin);
        }
        if (o->n == o->cap) {
            size_t cap = o->cap ? 2 * o->cap : 1024;
            int64_t *seq = realloc(o->seq, cap * sizeof *seq);
            if (!seq) {
                out = store_fail(s, _("out of memory"));
                break;
            }
            o->seq = seq;
            o->cap = cap;
        }
        o->seq[o->n++] = sqlite3_column_int64(st, 1);
    }
    return report_rows_done(s, st, rc, out);
}

/* Sums what each moment needs: the months on its side of its boundary
 * (one stretch of them after the start's when both are summed from later
 * on, one before the end's when both from before, else before the
 * start's and after the end's), and the events and corrections of the
 * partial stretches. */
static int od_sum_effects(store *s, struct od_pass *p)
{
    int64_t first[2], last[2];
    int nstretch = 1;
    if (p->later[0] == p->later[1]) {
        first[0] = p->later[0] ? (p->month[0] < p->month[1] ? p->month[0] : p->month[1]) : INT64_MIN;
        last[0] = p->later[0] ? INT64_MAX : (p->month[0] > p->month[1] ? p->month[0] : p->month[1]);
    } else {
        int64_t before = p->later[0] ? p->month[1] : p->month[0], after = p->later[0] ? p->month[0] : p->month[1];
        first[0] = INT64_MIN;
        last[0] = before;
        first[1] = after;
        last[1] = INT64_MAX;
        nstretch = before <= after ? 2 : 1;     /* else they meet: every month */
        if (nstretch == 1)
            last[0] = INT64_MAX;
    }
    int rc = 0;
    for (int i = 0; rc == 0 && i < nstretch; i++)
        rc = od_read_months(s, p, first[i], last[i]);
    struct od_origin *origins = NULL;
    size_t norigins = 0;
    for (int k = 0; rc == 0 && k < 2; k++)
        if (p->lo[k] < p->hi[k])
            rc = od_find_events(s, p->lo[k], p->hi[k] - 1, &origins, &norigins);
    for (size_t i = 0; i < norigins; i++) {
        if (rc == 0)
            rc = od_read_origin(s, p, &origins[i]);
        free(origins[i].seq);
    }
    free(origins);
    if (rc != 0)
        return -1;
    sqlite3_stmt *st = store_sql(s, "SELECT wall, customer, points, stamps, credit FROM lot_adjust"
                                    " WHERE (wall >= ?1 AND wall < ?2) OR (wall >= ?3 AND wall < ?4)");
    if (!st)
        return -1;
    for (int k = 0; k < 2; k++) {
        sqlite3_bind_int64(st, 1 + 2 * k, p->lo[k]);
        sqlite3_bind_int64(st, 2 + 2 * k, p->hi[k]);
    }
    int out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW)
        out = od_add_row(s, p, st);
    return report_rows_done(s, st, rc, out);
}

/* A balance at moment k: counted when below zero in any unit, and kept
 * for the list when k is the end. */
static int od_balance(store *s, struct od_pass *p, int k, const char *id, const int64_t b[3])
{
    if (b[0] >= 0 && b[1] >= 0 && b[2] >= 0)
        return 0;
    p->count[k]++;
    if (k == 0)
        return 0;
    if (p->nneg == p->negcap) {
        size_t cap = p->negcap ? 2 * p->negcap : 64;
        struct od_neg *grown = realloc(p->neg, cap * sizeof *grown);
        if (!grown)
            return store_fail(s, _("out of memory"));
        p->neg = grown;
        p->negcap = cap;
    }
    struct od_neg *n = &p->neg[p->nneg++];
    put_id(n->id, id);
    memcpy(n->b, b, sizeof n->b);
    return 0;
}

/* Each member's balance at each moment: the customers table less what came
 * later, or the sums before (every customer with a row of them). */
static int od_balances(store *s, struct od_pass *p)
{
    int out = 0;
    if (p->later[0] || p->later[1]) {
        sqlite3_stmt *st = store_sql(s, "SELECT id, points, stamps, credit FROM customers");
        if (!st)
            return -1;
        int rc;
        while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
            const char *id = (const char *)sqlite3_column_text(st, 0);
            id = id ? id : "";
            const struct od_sum *e = p->cap ? od_find(p, id) : NULL;
            for (int k = 0; out == 0 && k < 2; k++) {
                if (!p->later[k])
                    continue;
                int64_t b[3];
                for (int u = 0; u < 3; u++) {
                    int64_t after = e && e->used && e->seen[k] ? e->v[k][u] : 0;
                    b[u] = add_held(sqlite3_column_int64(st, 1 + u), after == INT64_MIN ? INT64_MAX : -after);
                }
                out = od_balance(s, p, k, id, b);
            }
        }
        if ((out = report_rows_done(s, st, rc, out)) != 0)
            return out;
    }
    for (size_t i = 0; out == 0 && i < p->cap; i++)
        for (int k = 0; out == 0 && k < 2; k++)
            if (!p->later[k] && p->slot[i].used && p->slot[i].seen[k])
                out = od_balance(s, p, k, p->slot[i].id, p->slot[i].v[k]);
    return out;
}

/* The list's order: points balance, then customer id (SQLite's BINARY). */
static int by_points_id(const void *a, const void *b)
{
    const struct od_neg *x = a, *y = b;
    if (x->b[0] != y->b[0])
        return x->b[0] < y->b[0] ? -1 : 1;
    return strcmp(x->id, y->id);
}

/* An overdrawn member's (?2, balance ?3 ?4 ?5 at the end ?1) events that
 * took a balance below zero or further down, in the order the tills merge
 * them (hlc, origin). A forgotten member is in the counts, never in the
 * list. */
static const char SQL_OVERDRAFTS[] =
    "WITH eff AS (SELECT e.origin, e.seq, e.wall, e.type, e.staff, e.hlc, e.points, e.stamps, e.credit"
    "  FROM events e WHERE e.customer = ?2 AND e.wall < ?1 AND (e.points <> 0 OR e.stamps <> 0 OR e.credit <> 0)"
    "  AND " COUNTED("e")
    /* A purchase's correction (lot_adjust) on its purchase, at its moment. */
    "  UNION ALL SELECT a.origin, a.seq, a.wall, 'correction', '', a.hlc, a.points, a.stamps, a.credit"
    "  FROM lot_adjust a WHERE a.customer = ?2 AND a.wall < ?1),"
    " run AS (SELECT *, sum(points) OVER w AS rp, sum(stamps) OVER w AS rs, sum(credit) OVER w AS rc"
    "  FROM eff WINDOW w AS (ORDER BY hlc, origin))"
    " SELECT c.id, c.name, ?3, ?4, ?5,"
    "  r.origin, r.seq, r.type, r.staff, r.wall, r.points, r.rp, r.stamps, r.rs, r.credit, r.rc"
    " FROM customers c JOIN run r ON ((r.points < 0 AND r.rp < 0 AND ?3 < 0)"
    "  OR (r.stamps < 0 AND r.rs < 0 AND ?4 < 0) OR (r.credit < 0 AND r.rc < 0 AND ?5 < 0))"
    " WHERE c.id = ?2 AND c.forgotten = 0 ORDER BY r.hlc, r.origin";

/* Purchases refunded beyond them at tills cut off from each other, by the
 * end of the period (?1; a correction, lot_adjust, with spend given
 * back): the refunds that took the purchase's net below zero, in the order
 * the tills merge them, with the purchase's net after each - the excess,
 * like an overdraft - and the member's balance then. A forgotten member
 * is counted, never listed. Each join starts from the few lots (CROSS
 * JOIN keeps that order: SQLite would rather walk every correction). */
static const char SQL_OVER_REFUNDS[] =
    "WITH lots AS MATERIALIZED (SELECT origin, seq, customer FROM lot_adjust WHERE spend > 0 AND wall < ?1),"
    " later AS MATERIALIZED (SELECT customer, sum(p) AS p, sum(s) AS s, sum(c) AS c FROM"
    "  (SELECT e.customer, e.points AS p, e.stamps AS s, e.credit AS c"
    "   FROM (SELECT DISTINCT customer FROM lots) k CROSS JOIN events e ON e.customer = k.customer"
    "   WHERE e.customer <> '' AND e.wall >= ?1 AND (e.points <> 0 OR e.stamps <> 0 OR e.credit <> 0) AND " COUNTED("e")
    "   UNION ALL SELECT customer, points, stamps, credit FROM lot_adjust WHERE wall >= ?1)"
    "  GROUP BY customer),"
    " fam AS (SELECT l.origin AS po, l.seq AS ps, l.customer, e.origin, e.seq, e.hlc, e.wall, e.type, e.staff, e.spend"
    "  FROM lots l CROSS JOIN events e ON e.origin = l.origin AND e.seq = l.seq"
    "  UNION ALL SELECT l.origin, l.seq, l.customer, e.origin, e.seq, e.hlc, e.wall, e.type, e.staff, e.spend"
    "  FROM lots l CROSS JOIN events e ON e.ref_origin <> '' AND e.ref_origin = l.origin AND e.ref_seq = l.seq"
    "  WHERE " COUNTED("e") " UNION ALL SELECT l.origin, l.seq, l.customer, e.origin, e.seq, e.hlc, e.wall, e.type,"
    "  e.staff, e.spend FROM lots l CROSS JOIN events r ON r.ref_origin <> '' AND r.ref_origin = l.origin"
    "  AND r.ref_seq = l.seq CROSS JOIN events e ON e.ref_origin <> '' AND e.ref_origin = r.origin"
    "  AND e.ref_seq = r.seq WHERE " COUNTED("e") "),"
    " run AS (SELECT *, sum(spend) OVER (PARTITION BY po, ps ORDER BY hlc, origin) AS net FROM fam)"
    " SELECT r.customer, c.name, c.points - coalesce(b.p, 0), c.stamps - coalesce(b.s, 0),"
    "  c.credit - coalesce(b.c, 0), r.origin, r.seq, r.type, r.staff, r.wall, r.spend, r.net, c.forgotten"
    " FROM run r JOIN customers c ON c.id = r.customer LEFT JOIN later b ON b.customer = r.customer"
    " WHERE r.spend < 0 AND r.net < 0 ORDER BY r.net, r.po, r.ps, r.hlc, r.origin";

/* Purchases refunded beyond them by a moment. */
static int over_refunded(store *s, int64_t when, int64_t *out)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM lot_adjust WHERE spend > 0 AND wall < ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, when);
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail(s);
    }
    *out = sqlite3_column_int64(st, 0);
    sqlite3_reset(st);
    return 0;
}

/* A row of either list; u: the unit ("points" ... or "purchase"). */
static void overdraft_row(sqlite3_stmt *st, const char *unit, int64_t delta, int64_t after,
                          struct store_overdraft_row *r)
{
    memset(r, 0, sizeof *r);
    copy_col(st, 0, r->customer, sizeof r->customer);
    copy_col(st, 1, r->name, sizeof r->name);
    r->points = sqlite3_column_int64(st, 2);
    r->stamps = sqlite3_column_int64(st, 3);
    r->credit = sqlite3_column_int64(st, 4);
    char origin[STORE_ORIGIN_LEN + 1];
    copy_col(st, 5, origin, sizeof origin);
    snprintf(r->event, sizeof r->event, "%s:%" PRId64, origin, (int64_t)sqlite3_column_int64(st, 6));
    copy_col(st, 7, r->type, sizeof r->type);
    copy_col(st, 8, r->staff, sizeof r->staff);
    r->wall = sqlite3_column_int64(st, 9);
    snprintf(r->unit, sizeof r->unit, "%s", unit);
    r->delta = delta;
    r->after = after;
}

/* One overdrawn member's rows. */
static int overdrawn_rows(store *s, int64_t when, const struct od_neg *n, struct store_overdraft_row *r,
                          int (*fn)(const struct store_overdraft_row *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, SQL_OVERDRAFTS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, when);
    bind_text(st, 2, n->id);
    for (int u = 0; u < 3; u++)
        sqlite3_bind_int64(st, 3 + u, n->b[u]);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        static const char *const UNITS[3] = { "points", "stamps", "credit" };
        for (int u = 0; u < 3 && out == 0; u++) {
            int64_t delta = sqlite3_column_int64(st, 10 + 2 * u), after = sqlite3_column_int64(st, 11 + 2 * u);
            if (delta >= 0 || after >= 0 || n->b[u] >= 0)
                continue;
            overdraft_row(st, UNITS[u], delta, after, r);
            out = fn(r, arg);
        }
    }
    return report_rows_done(s, st, rc, out);
}

static int over_refunds(store *s, const struct store_report_query *q, struct store_overdraft_row *r,
                        int (*fn)(const struct store_overdraft_row *, void *), void *arg)
{
    sqlite3_stmt *st = store_sql(s, SQL_OVER_REFUNDS);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, q->period.to);
    int rc, out = 0;
    while (out == 0 && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (sqlite3_column_int(st, 12))
            continue;       /* forgotten */
        overdraft_row(st, "purchase", sqlite3_column_int64(st, 10), sqlite3_column_int64(st, 11), r);
        out = fn(r, arg);
    }
    return report_rows_done(s, st, rc, out);
}

/* Months from first to before last, none when last is not after. */
static int64_t od_months(int64_t first, int64_t last)
{
    return last > first ? last - first : 0;
}

/* The first and the last month of roll_balance (hi < lo: none). */
static int od_month_span(store *s, int64_t *lo, int64_t *hi)
{
    /* Two subqueries: each read off the key's one end. */
    sqlite3_stmt *st = store_sql(s, "SELECT (SELECT min(month) FROM roll_balance), (SELECT max(month) FROM roll_balance)");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
        *lo = sqlite3_column_int64(st, 0);
        *hi = sqlite3_column_int64(st, 1);
    }
    sqlite3_reset(st);
    return rc == SQLITE_ROW ? 0 : db_fail(s);
}

/* Moment k's partial stretch, between its boundary B and itself, and the
 * sign its effects take: a balance summed from before B gains those of
 * [B, T) and loses those of [T, B); one that is now less what came from B
 * on takes them the other way round. */
static void od_pass_moment(struct od_pass *p, int k)
{
    int64_t b = rollup_month_start(p->month[k]), t = p->when[k];
    p->lo[k] = b < t ? b : t;
    p->hi[k] = b < t ? t : b;
    p->sign[k] = (b < t) != p->later[k] ? 1 : -1;
}

static int overdrafts_tx(store *s, const struct store_report_query *q, struct store_overdraft_counts *n,
                         int (*fn)(const struct store_overdraft_row *, void *), void *arg)
{
    const struct store_period *per = &q->period;
    struct od_pass p = { .when = { per->from, per->to } };
    /* Each moment's nearest month boundary, and the months held. */
    for (int k = 0; k < 2; k++) {
        int64_t m = rollup_month(p.when[k]);
        int64_t start = rollup_month_start(m), next = rollup_month_start(m + 1);
        p.month[k] = p.when[k] - start <= next - p.when[k] ? m : m + 1;
    }
    int64_t lo = 0, hi = -1;
    if (od_month_span(s, &lo, &hi) != 0)
        return -1;
    /* The stretch with the fewest months: after the start's boundary
     * (both ends from later on), before the end's (both from before), or
     * before the start's and after the end's. */
    int64_t after_start = od_months(p.month[0], hi + 1), before_end = od_months(lo, p.month[1]);
    int64_t outside = od_months(lo, p.month[0]) + od_months(p.month[1], hi + 1);
    p.later[0] = after_start <= before_end && after_start <= outside;
    p.later[1] = p.later[0] || outside < before_end;
    od_pass_moment(&p, 0);
    od_pass_moment(&p, 1);
    int out = od_sum_effects(s, &p);
    if (out == 0)
        out = od_balances(s, &p);
    free(p.slot);
    if (out == 0) {
        n->prev_overdrawn = p.count[0];
        n->overdrawn = p.count[1];
        out = over_refunded(s, per->to, &n->over_refunded);
    }
    if (out == 0)
        out = over_refunded(s, per->from, &n->prev_over_refunded);
    struct store_overdraft_row *r = out == 0 ? malloc(sizeof *r) : NULL;
    if (out == 0 && !r)
        out = store_fail(s, _("out of memory"));
    if (out == 0 && p.nneg > 1)
        qsort(p.neg, p.nneg, sizeof *p.neg, by_points_id);
    for (size_t i = 0; out == 0 && i < p.nneg; i++)
        out = overdrawn_rows(s, per->to, &p.neg[i], r, fn, arg);
    /* No lot over-refunded by the end: the list of them is empty. */
    if (out == 0 && n->over_refunded > 0)
        out = over_refunds(s, q, r, fn, arg);
    free(r);
    free(p.neg);
    return out;
}

int store_report_overdrafts(store *s, const struct store_report_query *q, struct store_overdraft_counts *counts,
                            int (*fn)(const struct store_overdraft_row *, void *), void *arg)
{
    struct store_overdraft_counts ignored;
    IN_READ(overdrafts_tx(s, q, counts ? counts : &ignored, fn, arg));
}
