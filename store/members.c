/* members.c - the member reports: segments, a segment's members, the
 * customer ranking and the tiers.
 *
 * Each needs every member's standing at two moments (the end of the period
 * and of the previous one), and that standing - how many visits so far,
 * the first and the last, spend over the year before - depends on each
 * member's whole history of visits. These figures used to be one SQL
 * statement: the rollups grouped per member, then ranked with window
 * functions, then classified. On a 100,000-member shop with a year of
 * history that took 1.7 s for the segments and 2.5 s for the customers,
 * most of it in materializing and sorting 100,000 rows several times.
 *
 * Here it is one pass in C. The rollup rows (roll_cust, in its key order:
 * customer, moment, till) and the rows of roll_log not yet folded
 * (grouped and sorted the same way; rollup.c keeps them few, but a shop
 * that has just joined has its whole history there, so it is read as it
 * is merged, never held whole) are merged like two sorted files, each
 * customer's member found once through a hash of their ids, so a
 * moment's visits are netted across both tables before a visit is taken as
 * someone's first or last (a visit refunded in full is none). Ranks are a
 * sort of one column. The same rules as the SQL it replaces, and as the
 * README states them; tests/e2e/oracle.py recomputes them from the events.
 *
 * Figures, all before the end of the period (T2) and with --till only the
 * rows of that till: n1 visits, f1 the first visit, l1 the last, n0 and l0
 * the same before the period's start (T1), vp and vq visits in this period
 * and the previous one (from T3), sp and sq spend in them, m1 and m0 spend
 * over the 365 days before each period's end. A moment that is not there
 * is NONE, which sorts as SQL's NULL does: before every moment.
 *
 * The tiers (program.c tier_status's rule at the two ends) are two more
 * figures of the same pass: w1 and w0, the tier rule's spend (tspend) in
 * the tier window before T2 and before T1, the window's first moment
 * being two more moments (T6, T7). They are the whole shop's, never a
 * till's. So are the summary's visit figures (every customer's visits
 * in this period and the two before, a last moment T8 the start of the
 * earliest) and its member counts. The dashboard takes the summary,
 * segments and tiers from one pass (store_report_overview): as separate
 * queries the summary's visits and the tiers each read every member's
 * rows again and cost more than the segments. On two connections that
 * share a snapshot (store_report_overview_pair, the dashboard's) the
 * history path's merge is cut by customer id into ranges that two
 * threads take in turn (split_history); the rest runs on the caller's. */
#define _GNU_SOURCE             /* qsort_r */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "i18n.h"
#include "internal.h"

#define NONE INT64_MIN
#define MS_14D (14 * DAY_MS)
#define MS_30D (30 * DAY_MS)
#define MS_90D (90 * DAY_MS)
#define MS_365D (365 * DAY_MS)

/* The moments the figures are taken before: T2, T1, T3, T4, T5, the
 * first moments of the tier windows that end at T2 and T1, and the start
 * of the period before the previous one (the summary's churn then). */
enum { AT_END, AT_START, AT_PREV, AT_PREV2, AT_YEAR, AT_PREV_YEAR, AT_TIER_END, AT_TIER_START, NAT };
/* What a pass works out: the segment figures (n1 ... m0, the ranks and
 * the segments), the tier windows' spend (w1, w0), the summary's visit
 * figures (vp, vq, vr of every customer, member or not). */
enum { WANT_SEGMENTS = 1, WANT_TIERS = 2, WANT_VISITS = 4 };

/* A member's figures. The state path's sums are apart (struct state):
 * the history path has no use for them, and every byte here is 100,000
 * bytes to allocate, each page of them a page fault. */
struct member {
    char id[STORE_ID_LEN + 1];
    int64_t joined;             /* at enrolment, or at an earlier first purchase */
    int64_t n1, f1, l1, n0, l0, vp, vq, sp, sq, m1, m0;
    int64_t r1, h1, r0, h0;     /* rank by m1 (m0) and how many spent anything */
    int64_t w1, w0;             /* the tier rule's spend in the windows ending at T2, T1 */
    int64_t vr;                 /* visits in the period before the previous one */
    bool member;                /* else a customer loaded for the summary alone */
    bool enrolled;              /* enrolled (at the till asked for): in the summary's members */
    int seg1, seg0;             /* seg0 -1: no member yet at T1 */
};

/* The state path (state_pass): has the member rows in the log (the
 * history path then), the latest visit read before T2 and T1, what the
 * rows read add up to for each moment of at[] (visits, spend, the tier
 * rule's spend), and roll_member's sums. A row read (read_rows) touches
 * logged, rlast and the sums of a few moments next to each other in at[]
 * (the back ones are the first four, the front ones the last): kept
 * together, a 100,000-member pass misses the cache two or three times a
 * row, not five or six. */
struct state {
    bool logged;
    int64_t rlast[2];
    struct { int64_t v, s, t; } r[NAT];
    int64_t sv, ss, st, sfirst, slast;
};

/* A slot of the members' hash index: the id inline (its bytes, zeros
 * after them), so a lookup compares in the slot and never touches a
 * member but the one it finds (each a cache miss: a 100,000-member pass
 * that looked up each row's member missed twice a row); index + 1, 0
 * empty. */
struct slot {
    uint64_t a;
    uint32_t b;
    uint32_t i;
};
_Static_assert(STORE_ID_LEN == 12, "an id is a slot's a and b");

struct members {
    struct member *m;
    size_t n;
    int64_t at[NAT];
    bool use[NAT];              /* the moments the figures wanted need */
    int want;                   /* WANT_ */
    bool stranger;              /* WANT_VISITS: rows of someone not in customers */
    struct report_counts counts;    /* WANT_VISITS: the summary's figures */
    bool front[NAT];            /* state_pass: from the rows before it, else the state less the rows after */
    struct slot *slot;          /* open addressing on key_hash */
    struct state *state;        /* state_pass: state[i] is m[i]'s */
    size_t nslot;               /* a power of two, at least twice n */
    bool till;
};

/* One moment's row of a rollup: a customer's visits and spend at a till. */
struct moment {
    char customer[STORE_ID_LEN + 1];
    char till[STORE_ORIGIN_LEN + 1];
    int64_t wall, visits, spend, tspend;
};

/* The log's rows before T2 (at the till), a moment at a time, in key
 * order. A long log comes in that order from its index
 * (store_rollup_index), and rows of the same moment are summed here:
 * SQLite's GROUP BY copies each row's key to compare it, which over a
 * whole history left unfolded (a shop that has just joined) cost three
 * times the reading. Each column read of those rows is a call into
 * SQLite: the moment of the row waiting, read to see whether it is still
 * the same moment, is kept for the next, and the tier rule's spend is
 * read only for the tiers. */
struct log_reader {
    store *s;
    sqlite3_stmt *st;
    int rc;                     /* of the last step: SQLITE_ROW while its row waits to be read */
    int64_t wall;               /* the waiting row's moment */
    bool tiers;                 /* its tspend wanted (WANT_TIERS), else 0 */
};

/* From customer `from` on (NULL: the first). */
static int log_open(store *s, const struct members *ms, const char *till, const char *from, struct log_reader *r)
{
    /* With no till asked for, no test of one a row: a year unfolded is
     * 1.7 million of them. */
#define LOG(w) "SELECT customer, wall, till, visits, spend, tspend FROM roll_log WHERE " w " ORDER BY customer, wall, till"
    static const char *const SQL[2][2] = {
        { LOG("wall < ?1"), LOG("wall < ?1 AND till = ?2") },
        { LOG("customer >= ?3 AND wall < ?1"), LOG("customer >= ?3 AND wall < ?1 AND till = ?2") } };
#undef LOG
    r->s = s;
    r->tiers = (ms->want & WANT_TIERS) != 0;
    r->st = store_sql(s, SQL[from != NULL][till[0] != '\0']);
    if (!r->st)
        return -1;
    sqlite3_bind_int64(r->st, 1, ms->at[AT_END]);
    if (till[0])
        bind_text(r->st, 2, till);
    if (from)
        bind_text(r->st, 3, from);
    r->rc = sqlite3_step(r->st);
    if (r->rc == SQLITE_ROW)
        r->wall = sqlite3_column_int64(r->st, 1);
    return 0;
}

/* The next moment, its rows summed: 1, 0 after the last, or -1. */
static int log_next(struct log_reader *r, struct moment *m)
{
    if (r->rc != SQLITE_ROW)
        return r->rc == SQLITE_DONE ? 0 : db_fail(r->s);
    sqlite3_stmt *st = r->st;
    copy_col(st, 0, m->customer, sizeof m->customer);
    m->wall = r->wall;
    copy_col(st, 2, m->till, sizeof m->till);
    m->visits = sqlite3_column_int64(st, 3);
    m->spend = sqlite3_column_int64(st, 4);
    m->tspend = r->tiers ? sqlite3_column_int64(st, 5) : 0;
    while ((r->rc = sqlite3_step(st)) == SQLITE_ROW && (r->wall = sqlite3_column_int64(st, 1)) == m->wall) {
        const char *c = (const char *)sqlite3_column_text(st, 0), *t = (const char *)sqlite3_column_text(st, 2);
        if (strncmp(c ? c : "", m->customer, STORE_ID_LEN) != 0 || strncmp(t ? t : "", m->till, STORE_ORIGIN_LEN) != 0)
            break;
        m->visits += sqlite3_column_int64(st, 3);
        m->spend += sqlite3_column_int64(st, 4);
        m->tspend += r->tiers ? sqlite3_column_int64(st, 5) : 0;
    }
    return 1;
}

/* The log's first moments, at most max of them, into an array (*out, *n:
 * all of them when *n < max). */
static int log_moments(store *s, struct log_reader *r, size_t max, struct moment **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    size_t cap = 0;
    while (*n < max) {
        if (*n == cap) {
            cap = cap ? cap * 2 : 256;
            struct moment *grown = realloc(*out, cap * sizeof **out);
            if (!grown)
                return store_fail(s, _("out of memory"));
            *out = grown;
        }
        int got = log_next(r, &(*out)[*n]);
        if (got <= 0)
            return got;
        ++*n;
    }
    return 0;
}

/* An id as a slot's key; false when it is too long to be one (no
 * member's: their ids are read as long as STORE_ID_LEN at most). */
static bool id_key(const char *id, struct slot *k)
{
    size_t n = strnlen(id, STORE_ID_LEN + 1);
    if (n > STORE_ID_LEN)
        return false;
    char b[STORE_ID_LEN] = { 0 };
    memcpy(b, id, n);
    memcpy(&k->a, b, sizeof k->a);
    memcpy(&k->b, b + sizeof k->a, sizeof k->b);
    k->i = 0;
    return true;
}

static uint64_t key_hash(const struct slot *k)
{
    uint64_t h = (k->a ^ k->b * 0xc2b2ae3d27d4eb4full) * 0x9e3779b97f4a7c15ull;
    return h ^ h >> 32;
}

/* Room for as many members as the customers table has rows at most (its
 * last rowid; more are made room for as they come), a big shop's in huge
 * pages where the kernel gives them on request. 100,000 members are 18 MB:
 * grown as they were read, in pages of 4 KiB, each page was a fault when
 * first touched (dear in a virtual machine) and the copies on the way up
 * more - half the page faults of a member report, a tenth of its time. */
#define HUGE_PAGE ((size_t)2 << 20)

static int members_alloc(store *s, struct members *ms, struct slot **keys, size_t *cap)
{
    sqlite3_stmt *st = store_sql(s, "SELECT max(rowid) FROM customers");
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    int64_t most = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    sqlite3_reset(st);
    if (rc != SQLITE_ROW)
        return db_fail(s);
    if (most <= 0 || most > 1 << 24)
        return 0;           /* none yet, or rowids given by hand: grown as read */
    size_t n = (size_t)most, bytes = n * sizeof *ms->m;
    void *m = NULL;
    if (bytes >= 2 * HUGE_PAGE) {
        bytes = (bytes + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
        if (posix_memalign(&m, HUGE_PAGE, bytes) != 0)
            m = NULL;
        else
            madvise(m, bytes, MADV_HUGEPAGE);   /* only a hint: no error matters */
    } else {
        m = malloc(bytes);
    }
    *keys = m ? malloc(n * sizeof **keys) : NULL;
    if (!*keys) {
        free(m);
        return 0;           /* grown as read, as far as memory goes */
    }
    ms->m = m;
    *cap = n;
    return 0;
}

/* The members by the end of the period (with WANT_VISITS every
 * customer, the members marked), in the table's own order (in id order,
 * through its index, a lookup per member made this twenty times slower),
 * and a hash index of their ids. */
static int load_members(store *s, struct members *ms, const char *till)
{
    sqlite3_stmt *st = store_sql(s, ms->want & WANT_VISITS
        ? "SELECT id, joined, enrolled > 0 AND joined < ?1, enrolled > 0 AND (?2 = '' OR till = ?2)"
          " FROM (SELECT id, enrolled, till, " JOINED("") " AS joined FROM customers NOT INDEXED)"
        : "SELECT id, " JOINED("") ", 1, 0 FROM customers NOT INDEXED WHERE enrolled > 0 AND " JOINED("") " < ?1");
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ms->at[AT_END]);
    if (ms->want & WANT_VISITS)
        bind_text(st, 2, till);
    /* Each one's key taken as it is read: read again from the members
     * after the last, each would be a cache miss. */
    struct slot *keys = NULL;
    size_t cap = 0;
    int rc;
    if (members_alloc(s, ms, &keys, &cap) != 0)
        return -1;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (ms->n == cap) {
            cap = cap ? cap * 2 : 1024;
            struct member *grown = realloc(ms->m, cap * sizeof *ms->m);
            struct slot *more = grown ? realloc(keys, cap * sizeof *keys) : NULL;
            if (grown)
                ms->m = grown;
            if (!more) {
                free(keys);
                sqlite3_reset(st);
                return store_fail(s, _("out of memory"));
            }
            keys = more;
        }
        struct member *m = &ms->m[ms->n];
        memset(m, 0, sizeof *m);
        copy_col(st, 0, m->id, sizeof m->id);
        id_key(m->id, &keys[ms->n]);
        keys[ms->n].i = (uint32_t)ms->n + 1;
        ms->n++;
        m->joined = sqlite3_column_int64(st, 1);
        m->member = sqlite3_column_int(st, 2) != 0;
        m->enrolled = sqlite3_column_int(st, 3) != 0;
        m->f1 = m->l1 = m->l0 = NONE;
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        free(keys);
        return db_fail(s);
    }
    for (ms->nslot = 64; ms->nslot < 2 * ms->n; ms->nslot *= 2)
        ;
    ms->slot = calloc(ms->nslot, sizeof *ms->slot);
    if (!ms->slot) {
        free(keys);
        return store_fail(s, _("out of memory"));
    }
    /* The slots in no order: each fetched a few members ahead. */
    for (size_t i = 0; i < ms->n; i++) {
        if (i + 8 < ms->n)
            __builtin_prefetch(&ms->slot[key_hash(&keys[i + 8]) & (ms->nslot - 1)], 1);
        size_t h = key_hash(&keys[i]) & (ms->nslot - 1);
        while (ms->slot[h].i)
            h = (h + 1) & (ms->nslot - 1);
        ms->slot[h] = keys[i];
    }
    free(keys);
    return 0;
}

/* Where a lookup of that id starts (SIZE_MAX: no member's id), its key
 * in k. */
static size_t slot_of(const struct members *ms, const char *id, struct slot *k)
{
    return id_key(id ? id : "", k) ? key_hash(k) & (ms->nslot - 1) : SIZE_MAX;
}

/* The member of that key, the lookup starting at h (slot_of), or NULL for
 * a customer who is none (yet); with every customer loaded (WANT_VISITS),
 * NULL is a stranger: rows of an id the customers table does not hold. */
static struct member *member_at(struct members *ms, const struct slot *k, size_t h)
{
    for (; h != SIZE_MAX && ms->slot[h].i; h = (h + 1) & (ms->nslot - 1))
        if (ms->slot[h].a == k->a && ms->slot[h].b == k->b)
            return &ms->m[ms->slot[h].i - 1];
    if (ms->want & WANT_VISITS)
        ms->stranger = true;
    return NULL;
}

static struct state *state_of(const struct members *ms, const struct member *m)
{
    return &ms->state[m - ms->m];
}

static struct member *member_of(struct members *ms, const char *id)
{
    struct slot k;
    size_t h = slot_of(ms, id, &k);
    return member_at(ms, &k, h);
}

/* The rows of a table of members' rows (st: the customer, then up to five
 * integer columns) a batch at a time, each row's member looked up: all
 * the rows' slots fetched while the batch is read (__builtin_prefetch), so
 * their cache misses (the rows come in no member order) overlap instead of
 * following each other. The caller fetches the members alike. Returns how
 * many rows it read, 0 after the last (*rc: SQLITE_ROW before the first
 * call, then the last step's). */
#define AHEAD 64
struct ahead {
    struct member *m;
    int64_t c[5];               /* columns 1 to 5 */
    bool null3;                 /* column 3 is NULL */
    struct slot k;
    size_t h;
};

static int rows_ahead(struct members *ms, sqlite3_stmt *st, int ncol, struct ahead *b, int *rc)
{
    int n = 0;
    for (; n < AHEAD && *rc == SQLITE_ROW && (*rc = sqlite3_step(st)) == SQLITE_ROW; n++) {
        struct ahead *x = &b[n];
        x->h = slot_of(ms, (const char *)sqlite3_column_text(st, 0), &x->k);
        if (x->h != SIZE_MAX)
            __builtin_prefetch(&ms->slot[x->h]);
        for (int i = 1; i < ncol; i++)
            x->c[i - 1] = sqlite3_column_int64(st, i);
        x->null3 = ncol > 3 && sqlite3_column_type(st, 3) == SQLITE_NULL;
    }
    for (int i = 0; i < n; i++)
        b[i].m = member_at(ms, &b[i].k, b[i].h);
    return n;
}

/* A moment's netted visits and spend, and the tier rule's spend, counted
 * for its member. */
static void add_moment(const struct members *ms, struct member *m, int64_t wall, int64_t v, int64_t sp, int64_t tsp)
{
    if (ms->use[AT_TIER_END] && wall >= ms->at[AT_TIER_END])
        m->w1 += tsp;
    if (ms->use[AT_TIER_START] && wall >= ms->at[AT_TIER_START] && wall < ms->at[AT_START])
        m->w0 += tsp;
    m->n1 += v;
    if (v > 0) {
        if (m->f1 == NONE || wall < m->f1)
            m->f1 = wall;
        if (wall > m->l1)
            m->l1 = wall;
    }
    if (wall < ms->at[AT_START]) {
        m->n0 += v;
        if (v > 0 && wall > m->l0)
            m->l0 = wall;
        if (wall >= ms->at[AT_PREV]) {
            m->vq += v;
            m->sq += sp;
        } else if (ms->use[AT_PREV2] && wall >= ms->at[AT_PREV2]) {
            m->vr += v;
        }
        if (wall >= ms->at[AT_PREV_YEAR])
            m->m0 += sp;
    } else {
        m->vp += v;
        m->sp += sp;
    }
    if (wall >= ms->at[AT_YEAR])
        m->m1 += sp;
}

/* The log's moments in order, as a merge takes them: those of an array,
 * then (r) the rest from the reader. head is the next, NULL after the
 * last. */
struct log_src {
    const struct moment *lg;
    size_t n, k;
    struct log_reader *r;
    const char *until;          /* the moments of customers before this one (NULL: all) */
    struct moment read;
    const struct moment *head;
    int rc;                     /* -1: the reader failed */
};

static void src_next(struct log_src *x)
{
    if (x->k < x->n) {
        x->head = &x->lg[x->k++];
    } else {
        int got = x->r ? log_next(x->r, &x->read) : 0;
        if (got < 0)
            x->rc = -1;
        x->head = got > 0 ? &x->read : NULL;
    }
    if (x->head && x->until && strcmp(x->head->customer, x->until) >= 0)
        x->head = NULL;
}

static void src_open(struct log_src *x, const struct moment *lg, size_t n, struct log_reader *r, const char *until)
{
    memset(x, 0, sizeof *x);
    x->lg = lg;
    x->n = n;
    x->r = r;
    x->until = until;
    src_next(x);
}

/* The log's moments of customer c from the head on that come before the
 * moment (wall, till) - all of them when till is NULL - added alone. */
static void log_before(const struct members *ms, struct member *m, struct log_src *lg, const char *c, int64_t wall,
                       const char *till)
{
    for (const struct moment *x; (x = lg->head) && strcmp(x->customer, c) == 0; src_next(lg)) {
        if (till && (x->wall > wall || (x->wall == wall && strcmp(x->till, till) >= 0)))
            return;
        if (m)
            add_moment(ms, m, x->wall, x->visits, x->spend, x->tspend);
    }
}

/* The log's moments of the customers before c (all those left when c is
 * NULL): customers only in the log, each looked up once. */
static void log_only(struct members *ms, struct log_src *lg, const char *c)
{
    char id[STORE_ID_LEN + 1] = "";
    struct member *m = NULL;
    bool looked = false;
    for (const struct moment *x; (x = lg->head) && (!c || strcmp(x->customer, c) < 0); src_next(lg)) {
        if (!looked || strcmp(x->customer, id) != 0) {
            memcpy(id, x->customer, sizeof id);
            m = member_of(ms, id);
            looked = true;
        }
        if (m)
            add_moment(ms, m, x->wall, x->visits, x->spend, x->tspend);
    }
}

/* Rollup rows (st: customer, moment, till, visits, spend, tspend, in that
 * order) merged with the log's moments (in the same order) as both are
 * read: a moment in both is netted before it counts. The rows of
 * customers before `until` (NULL: all), the log's bounded alike
 * (src_open). */
static int merge_history(store *s, struct members *ms, sqlite3_stmt *st, struct log_src *lg, const char *until)
{
    char cur[STORE_ID_LEN + 1] = "";
    struct member *m = NULL;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        if (until && strcmp(c ? c : "", until) >= 0) {
            rc = SQLITE_DONE;
            break;
        }
        if (!c || strcmp(c, cur) != 0) {
            log_before(ms, m, lg, cur, 0, NULL);     /* the rest of the last one's */
            snprintf(cur, sizeof cur, "%s", c ? c : "");
            log_only(ms, lg, cur);
            m = member_of(ms, cur);
        }
        int64_t wall = sqlite3_column_int64(st, 1), v = sqlite3_column_int64(st, 3),
                sp = sqlite3_column_int64(st, 4), tsp = sqlite3_column_int64(st, 5);
        const struct moment *x = lg->head;
        if (x && strcmp(x->customer, cur) == 0) {
            const char *t = (const char *)sqlite3_column_text(st, 2);
            log_before(ms, m, lg, cur, wall, t ? t : "");
            if ((x = lg->head) && strcmp(x->customer, cur) == 0 && x->wall == wall && strcmp(x->till, t ? t : "") == 0) {
                v += x->visits;
                sp += x->spend;
                tsp += x->tspend;
                src_next(lg);
            }
        }
        if (m)
            add_moment(ms, m, wall, v, sp, tsp);
    }
    sqlite3_reset(st);
    if (rc != SQLITE_DONE)
        return db_fail(s);
    log_before(ms, m, lg, cur, 0, NULL);
    log_only(ms, lg, NULL);
    return lg->rc;
}

/* Every member's whole history: all of roll_cust in its order merged with
 * the log (its first moments in lg, the rest still to read from r: the
 * path for a log too long for the state path, read as it is merged, never
 * held whole). Or the members from `from` (NULL: the first) to before
 * `until` (NULL: the last) alone, r reading from `from` on (split_pass). */
static int history_pass(store *s, struct members *ms, const char *till, const char *from, const char *until,
                        const struct moment *lg, size_t nlg, struct log_reader *r)
{
#define CUST(w) "SELECT customer, wall, till, visits, spend, tspend FROM roll_cust" \
    " WHERE " w "+wall < ?1 AND (?2 = '' OR till = ?2) ORDER BY customer, wall, till"
    static const char *const SQL[2] = { CUST(""), CUST("customer >= ?3 AND ") };
#undef CUST
    sqlite3_stmt *st = store_sql(s, SQL[from != NULL]);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, ms->at[AT_END]);
    bind_text(st, 2, till);
    if (from)
        bind_text(st, 3, from);
    struct log_src x;
    src_open(&x, lg, nlg, r, until);
    return merge_history(s, ms, st, &x, until);
}

/* --- the state path -------------------------------------------------------------
 *
 * A member with no rows in the log has all of their history in roll_cust,
 * and roll_member holds its sums. A figure before a moment T is then the
 * sum of the rows before T, or the state less the rows from T on; the
 * rows read are those before F and from B on, F and B two of the moments
 * in a row with the most history between them, read for nobody. For a
 * report of the last 30 days that is the last 60 days and anything over
 * a year and a month old; for the whole history, nothing. The last visit
 * before T when the state's last is T or later: the latest among the rows
 * read, else (T >= B) one seek back from B in the member's rows. Members
 * with rows in the log (few: rollup.c folds it) take the history path,
 * one member at a time. */

/* F and B (INT64_MIN, INT64_MAX: no rows before, after): the history is
 * roll_cust's moments. */
static int choose_bounds(store *s, struct members *ms, int64_t *front, int64_t *back)
{
    sqlite3_stmt *st = store_sql(s, "SELECT (SELECT min(wall) FROM roll_cust), (SELECT max(wall) FROM roll_cust)");
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW) {
        sqlite3_reset(st);
        return db_fail(s);
    }
    bool empty = sqlite3_column_type(st, 0) == SQLITE_NULL;
    int64_t lo = sqlite3_column_int64(st, 0), hi = sqlite3_column_int64(st, 1);
    sqlite3_reset(st);
    int64_t m[NAT + 2];
    int k = 0;
    m[0] = INT64_MIN;
    for (int i = 0; i < NAT; i++) {     /* the moments used, sorted between the two ends */
        if (!ms->use[i])
            continue;
        int j = ++k;
        for (; j > 1 && m[j - 1] > ms->at[i]; j--)
            m[j] = m[j - 1];
        m[j] = ms->at[i];
    }
    m[k + 1] = INT64_MAX;
    *front = INT64_MIN;
    *back = INT64_MAX;
    int64_t best = -1;
    for (int i = 0; !empty && i <= k; i++) {
        int64_t a = m[i] < lo ? lo : m[i] > hi ? hi + 1 : m[i];
        int64_t b = m[i + 1] < lo ? lo : m[i + 1] > hi ? hi + 1 : m[i + 1];
        if (b - a > best) {
            best = b - a;
            *front = m[i];
            *back = m[i + 1];
        }
    }
    for (int i = 0; i < NAT; i++)
        ms->front[i] = ms->at[i] <= *front;
    return 0;
}

static int read_state(store *s, struct members *ms, const char *till)
{
    sqlite3_stmt *st = store_sql(s, "SELECT customer, visits, spend, first, last, tspend FROM roll_member"
                                    " WHERE ?1 = '' OR till = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, till);
    struct ahead b[AHEAD];
    int rc = SQLITE_ROW, n;
    while ((n = rows_ahead(ms, st, 6, b, &rc)) > 0) {
        for (int i = 0; i < n; i++)
            if (b[i].m)
                __builtin_prefetch(&state_of(ms, b[i].m)->sv, 1);
        for (int i = 0; i < n; i++) {
            if (!b[i].m)
                continue;
            struct state *m = state_of(ms, b[i].m);
            const int64_t *c = b[i].c;     /* visits, spend, first, last, tspend */
            m->sv += c[0];
            m->ss += c[1];
            m->st += c[4];
            if (!b[i].null3) {
                if (m->sfirst == NONE || c[2] < m->sfirst)
                    m->sfirst = c[2];
                if (c[3] > m->slast)
                    m->slast = c[3];
            }
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* The rows of roll_cust before `before` or from `from` on, by moment,
 * added to their members' sums for the moments on that side. */
static int read_rows(store *s, struct members *ms, const char *till, bool front, int64_t bound)
{
    /* The tier rule's spend only for the tiers: a column more per row. */
#define ROWS(t, cmp) "SELECT customer, wall, visits, spend, " t " FROM roll_cust INDEXED BY roll_cust_wall" \
    " WHERE wall " cmp " ?1 AND (?2 = '' OR till = ?2)"
    static const char *const SQL[2][2] = { { ROWS("0", ">="), ROWS("0", "<") },
                                           { ROWS("tspend", ">="), ROWS("tspend", "<") } };
#undef ROWS
    sqlite3_stmt *st = store_sql(s, SQL[(ms->want & WANT_TIERS) != 0][front]);
    if (!st)
        return -1;
    sqlite3_bind_int64(st, 1, bound);
    bind_text(st, 2, till);
    int side[NAT], nside = 0;       /* the moments on this side */
    for (int i = 0; i < NAT; i++)
        if (ms->use[i] && ms->front[i] == front)
            side[nside++] = i;
    struct ahead b[AHEAD];
    int rc = SQLITE_ROW, n;
    while ((n = rows_ahead(ms, st, 5, b, &rc)) > 0) {
        for (int j = 0; j < n; j++)
            if (b[j].m) {
                struct state *x = state_of(ms, b[j].m);
                __builtin_prefetch(x, 1);
                for (int i = 0; i < nside; i++)
                    __builtin_prefetch(&x->r[side[i]], 1);
            }
        for (int j = 0; j < n; j++) {
            struct state *m = b[j].m ? state_of(ms, b[j].m) : NULL;
            if (!m || m->logged)
                continue;
            int64_t wall = b[j].c[0], v = b[j].c[1], sp = b[j].c[2], tsp = b[j].c[3];
            for (int k = 0; k < nside; k++) {
                int i = side[k];
                if (front ? wall < ms->at[i] : wall >= ms->at[i]) {
                    m->r[i].v += v;
                    m->r[i].s += sp;
                    m->r[i].t += tsp;
                }
            }
            for (int k = 0; k < 2; k++)     /* AT_END, AT_START */
                if (ms->front[k] == front && v > 0 && wall < ms->at[k] && wall > m->rlast[k])
                    m->rlast[k] = wall;
        }
    }
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* The member's latest visit before `before` (the back bound), one seek. */
static int last_visit_before(store *s, const struct member *m, const char *till, int64_t before, int64_t *out)
{
    sqlite3_stmt *st = store_sql(s, "SELECT wall FROM roll_cust WHERE customer = ?1 AND wall < ?2 AND visits > 0"
                                    " AND (?3 = '' OR till = ?3) ORDER BY wall DESC LIMIT 1");
    if (!st)
        return -1;
    bind_text(st, 1, m->id);
    sqlite3_bind_int64(st, 2, before);
    bind_text(st, 3, till);
    int rc = sqlite3_step(st);
    *out = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : NONE;
    sqlite3_reset(st);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* The member's last visit before at[k] (AT_END, AT_START). */
static int state_last(store *s, const struct members *ms, const struct member *m, const char *till, int k,
                      int64_t back, int64_t *out)
{
    const struct state *x = state_of(ms, m);
    if (x->slast == NONE || x->slast < ms->at[k])
        *out = x->slast;
    else if (x->rlast[k] != NONE || ms->front[k])
        *out = x->rlast[k];
    else
        return last_visit_before(s, m, till, back, out);
    return 0;
}

static int state_figures(store *s, const struct members *ms, struct member *m, const char *till, int64_t back)
{
    const struct state *x = state_of(ms, m);
    int64_t v[NAT], sp[NAT], tsp[NAT];
    for (int i = 0; i < NAT; i++) {
        v[i] = ms->front[i] ? x->r[i].v : x->sv - x->r[i].v;
        sp[i] = ms->front[i] ? x->r[i].s : x->ss - x->r[i].s;
        tsp[i] = ms->front[i] ? x->r[i].t : x->st - x->r[i].t;
    }
    if (ms->want & WANT_TIERS) {
        m->w1 = tsp[AT_END] - tsp[AT_TIER_END];
        m->w0 = tsp[AT_START] - tsp[AT_TIER_START];
    }
    if (ms->want & WANT_VISITS) {
        m->vp = v[AT_END] - v[AT_START];
        m->vq = v[AT_START] - v[AT_PREV];
        m->vr = v[AT_PREV] - v[AT_PREV2];
    }
    if (!(ms->want & WANT_SEGMENTS) || !m->member)
        return 0;
    m->n1 = v[AT_END];
    m->n0 = v[AT_START];
    m->vp = v[AT_END] - v[AT_START];
    m->vq = v[AT_START] - v[AT_PREV];
    m->sp = sp[AT_END] - sp[AT_START];
    m->sq = sp[AT_START] - sp[AT_PREV];
    m->m1 = sp[AT_END] - sp[AT_YEAR];
    m->m0 = sp[AT_START] - sp[AT_PREV_YEAR];
    m->f1 = x->sfirst != NONE && x->sfirst < ms->at[AT_END] ? x->sfirst : NONE;
    if (state_last(s, ms, m, till, AT_END, back, &m->l1) != 0)
        return -1;
    return state_last(s, ms, m, till, AT_START, back, &m->l0);
}

/* The logged members' history, one member at a time (lg: the log's
 * moments, in order). */
static int logged_pass(store *s, struct members *ms, const char *till, const struct moment *lg, size_t nlg)
{
    sqlite3_stmt *st = store_sql(s, "SELECT customer, wall, till, visits, spend, tspend FROM roll_cust"
                                    " WHERE customer = ?3 AND wall < ?1 AND (?2 = '' OR till = ?2) ORDER BY wall, till");
    if (!st)
        return -1;
    for (size_t a = 0, b; a < nlg; a = b) {
        for (b = a + 1; b < nlg && strcmp(lg[b].customer, lg[a].customer) == 0; b++)
            ;
        struct member *m = member_of(ms, lg[a].customer);
        if (!m)
            continue;
        sqlite3_bind_int64(st, 1, ms->at[AT_END]);
        bind_text(st, 2, till);
        bind_text(st, 3, m->id);
        struct log_src x;
        src_open(&x, lg + a, b - a, NULL, NULL);
        if (merge_history(s, ms, st, &x, NULL) != 0)
            return -1;
    }
    return 0;
}

static int state_pass(store *s, struct members *ms, const char *till, const struct moment *lg, size_t nlg)
{
    ms->state = malloc((ms->n ? ms->n : 1) * sizeof *ms->state);
    if (!ms->state)
        return store_fail(s, _("out of memory"));
    for (size_t i = 0; i < ms->n; i++) {
        struct state *x = &ms->state[i];
        memset(x, 0, sizeof *x);
        x->sfirst = x->slast = x->rlast[0] = x->rlast[1] = NONE;
    }
    for (size_t k = 0; k < nlg; k++) {
        struct member *m = member_of(ms, lg[k].customer);
        if (m)
            state_of(ms, m)->logged = true;
    }
    int64_t front = INT64_MIN, back = INT64_MAX;
    if (choose_bounds(s, ms, &front, &back) != 0 || read_state(s, ms, till) != 0 ||
        (front != INT64_MIN && read_rows(s, ms, till, true, front) != 0) ||
        (back != INT64_MAX && read_rows(s, ms, till, false, back) != 0))
        return -1;
    for (size_t i = 0; i < ms->n; i++)
        if (!ms->state[i].logged && state_figures(s, ms, &ms->m[i], till, back) != 0)
            return -1;
    return logged_pass(s, ms, till, lg, nlg);
}

/* Sorts n values ascending (descending: reversed after), a byte at a
 * time from the lowest, the sign bit flipped so that the negative come
 * first, a byte every value shares skipped (a radix sort: qsort's call
 * per comparison took a tenth of the customer ranking over 100,000
 * members); tmp has room for n more. */
static void sort_values(int64_t *v, int64_t *tmp, size_t n, bool descending)
{
    const uint64_t sign = (uint64_t)1 << 63;
    int64_t *a = v, *b = tmp;
    for (int shift = 0; n > 0 && shift < 64; shift += 8) {
        size_t at[256] = { 0 };
        for (size_t i = 0; i < n; i++)
            at[((uint64_t)a[i] ^ sign) >> shift & 255]++;
        if (at[((uint64_t)a[0] ^ sign) >> shift & 255] == n)
            continue;
        for (size_t k = 0, pos = 0; k < 256; k++) {
            size_t c = at[k];
            at[k] = pos;
            pos += c;
        }
        for (size_t i = 0; i < n; i++)
            b[at[((uint64_t)a[i] ^ sign) >> shift & 255]++] = a[i];
        int64_t *t = a;
        a = b;
        b = t;
    }
    if (a != v)
        memcpy(v, a, n * sizeof *v);
    for (size_t i = 0; descending && i < n / 2; i++) {
        int64_t t = v[i];
        v[i] = v[n - 1 - i];
        v[n - 1 - i] = t;
    }
}

/* 1 + how many of the sorted (descending) values are above v. */
static int64_t rank_of(const int64_t *sorted, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] > v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int64_t)lo + 1;
}

/* The spend ranked for the previous period's standing: members then (and
 * with --till, who had bought there by then) by m0, everyone else 0. */
static int64_t key0(const struct members *ms, const struct member *m)
{
    return m->joined < ms->at[AT_START] && (!ms->till || m->n0 > 0) ? m->m0 : 0;
}

static int rank_members(store *s, struct members *ms)
{
    size_t cap = ms->n ? ms->n : 1;
    int64_t *v1 = malloc(cap * sizeof *v1), *v0 = malloc(cap * sizeof *v0), *tmp = malloc(cap * sizeof *tmp);
    if (!v1 || !v0 || !tmp) {
        free(v1);
        free(v0);
        free(tmp);
        return store_fail(s, _("out of memory"));
    }
    size_t n = ms->n;
    int64_t h1 = 0, h0 = 0;
    for (size_t i = 0; i < n; i++) {
        const struct member *m = &ms->m[i];
        v1[i] = m->m1;
        v0[i] = key0(ms, m);
        h1 += m->m1 > 0;
        h0 += m->m0 > 0 && m->joined < ms->at[AT_START] && (!ms->till || m->n0 > 0);
    }
    sort_values(v1, tmp, n, true);
    sort_values(v0, tmp, n, true);
    for (size_t i = 0; i < ms->n; i++) {
        struct member *m = &ms->m[i];
        m->r1 = rank_of(v1, n, m->m1);
        m->r0 = rank_of(v0, n, key0(ms, m));
        m->h1 = h1;
        m->h0 = h0;
    }
    free(v1);
    free(v0);
    free(tmp);
    return 0;
}

static bool regular(int64_t n, int64_t f, int64_t l)
{
    return n >= 3 && l - f <= MS_30D * (n - 1);
}

/* A member's segment at moment `at` (the README's rules, in order: the
 * first that holds): n visits, f the first, l the last, m spend over the
 * year before, r its rank, h how many spent anything; who joined from
 * `start` on is new. */
static int segment_at(const struct member *x, int64_t n, int64_t f, int64_t l, int64_t m, int64_t r, int64_t h,
                      int64_t start, int64_t at)
{
    if (x->joined >= start)
        return SEG_NEW;
    if ((l == NONE ? x->joined : l) < at - MS_90D)
        return SEG_LAPSED;
    if (regular(n, f, l) && at - l > 2 * (l - f) / (n - 1) && at - l >= MS_14D)
        return SEG_AT_RISK;
    if (m > 0 && r <= (h + 9) / 10)
        return SEG_HIGH_VALUE;
    return regular(n, f, l) ? SEG_REGULAR : SEG_OCCASIONAL;
}

static void classify(struct members *ms)
{
    for (size_t i = 0; i < ms->n; i++) {
        struct member *m = &ms->m[i];
        m->seg1 = segment_at(m, m->n1, m->f1, m->l1, m->m1, m->r1, m->h1, ms->at[AT_START], ms->at[AT_END]);
        m->seg0 = m->joined >= ms->at[AT_START] || (ms->till && m->n0 <= 0)
            ? -1 : segment_at(m, m->n0, m->f1, m->l0, m->m0, m->r0, m->h0, ms->at[AT_PREV], ms->at[AT_START]);
    }
}

static void members_free(struct members *ms)
{
    free(ms->m);
    free(ms->slot);
    free(ms->state);
    ms->m = NULL;
    ms->slot = NULL;
    ms->state = NULL;
}

/* The summary's figures of every customer (report.c summary_counts
 * counts the visits from the rows of every customer who has any in the
 * three periods, the others adding nothing, and the members enrolled at
 * the till asked for by when they joined). */
static void add_counts(struct members *ms)
{
    struct report_counts *v = &ms->counts;
    memset(v, 0, sizeof *v);
    for (size_t i = 0; i < ms->n; i++) {
        const struct member *m = &ms->m[i];
        if (m->enrolled) {
            v->new_members += m->joined >= ms->at[AT_START] && m->joined < ms->at[AT_END];
            v->prev_new_members += m->joined >= ms->at[AT_PREV] && m->joined < ms->at[AT_START];
            v->members += m->joined < ms->at[AT_END];
            v->prev_members += m->joined < ms->at[AT_START];
        }
        v->active += m->vp > 0;
        v->repeaters += m->vp >= 2;
        v->visits += m->vp;
        v->prev_active += m->vq > 0;
        v->prev_repeaters += m->vq >= 2;
        v->prev_visits += m->vq;
        v->churned += m->vq > 0 && !(m->vp > 0);
        v->prev_prev_active += m->vr > 0;
        v->prev_churned += m->vr > 0 && !(m->vq > 0);
    }
}

/* --- two threads ------------------------------------------------------------
 *
 * The dashboard's overview (store_report_overview_pair) on two stores
 * that share a snapshot: the history path's merge cut by customer id into
 * ranges (chunks), each read on its own from roll_cust's key and the
 * log's index, a thread on each store taking the next chunk until none
 * is left. The second thread first runs what its caller gives it to do
 * meanwhile (the dashboard's other sections), then takes chunks: the two
 * cores are shared however long that takes. A member is in one chunk, so
 * the two threads write different members; what a chunk adds up beyond
 * its members (a stranger seen) is its own, merged as it ends. The hash
 * of the members is read by both, written by neither. The state path
 * (a folded log) runs on the first thread alone. */
#define CHUNKS 16
#define SAMPLE 1024             /* the members' ids the bounds are taken from, at most */

struct split {
    store *b;
    void (*side)(void *);
    void *side_arg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    /* Set by the first thread before `posted`, read-only after. */
    bool posted;                /* the chunks are set (nchunk 0: none) */
    struct members *ms;
    const char *till;
    char bound[CHUNKS][STORE_ID_LEN + 1];   /* chunk k: from bound[k] (k 0: the first) to before bound[k + 1] */
    int nchunk;
    /* Under mu. */
    int next, done;             /* the chunks taken, and ended */
    bool stranger;
    bool failed;
    char err[256];              /* the second store's error */
};

static void split_post(struct split *x, struct members *ms, const char *till, int nchunk)
{
    pthread_mutex_lock(&x->mu);
    x->ms = ms;
    x->till = till;
    x->nchunk = nchunk;
    x->next = nchunk ? 1 : 0;   /* chunk 0 is the first thread's: its log is read already */
    x->posted = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

/* The next chunk to read, or -1: none left, or one failed. */
static int split_take(struct split *x)
{
    pthread_mutex_lock(&x->mu);
    int k = !x->failed && x->next < x->nchunk ? x->next++ : -1;
    pthread_mutex_unlock(&x->mu);
    return k;
}

/* Chunk k on s: its members' history (chunk 0's log from lg and r, read
 * from the start already; the others' from a reader of their own). */
static void split_chunk(store *s, struct split *x, int k, const struct moment *lg, size_t nlg, struct log_reader *r)
{
    struct members h = *x->ms;      /* the members and the hash shared, the flags its own */
    h.stranger = false;
    const char *from = k ? x->bound[k] : NULL, *until = k + 1 < x->nchunk ? x->bound[k + 1] : NULL;
    struct log_reader own = { 0 };
    int rc = 0;
    if (k) {
        rc = log_open(s, &h, x->till, from, &own);
        r = &own;
    }
    if (rc == 0)
        rc = history_pass(s, &h, x->till, from, until, lg, nlg, r);
    if (own.st)
        sqlite3_reset(own.st);
    pthread_mutex_lock(&x->mu);
    x->stranger |= h.stranger;
    if (rc != 0 && !x->failed) {
        x->failed = true;
        if (s == x->b)
            snprintf(x->err, sizeof x->err, "%s", store_error(s));
    }
    x->done++;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
}

static int cmp_id(const void *a, const void *b)
{
    return strcmp(a, b);
}

/* The history path on both threads (s the first's store; lg and r: the
 * log read from its start, as members_pass began it). */
static int split_history(store *s, struct members *ms, struct split *x, const char *till, const struct moment *lg,
                         size_t nlg, struct log_reader *r)
{
    /* The bounds: ids of members spread evenly over the sorted ids of a
     * sample of them (every customer equally likely to be any id). */
    size_t step = ms->n / SAMPLE + 1, ns = 0;
    char (*ids)[STORE_ID_LEN + 1] = malloc((ms->n / step + 1) * sizeof *ids);
    if (!ids)
        return store_fail(s, _("out of memory"));
    for (size_t i = 0; i < ms->n; i += step)
        memcpy(ids[ns++], ms->m[i].id, sizeof *ids);
    qsort(ids, ns, sizeof *ids, cmp_id);
    int n = 1;
    for (int k = 1; k < CHUNKS && ns; k++) {
        const char *b = ids[(size_t)k * ns / CHUNKS];
        if (strcmp(b, n > 1 ? x->bound[n - 1] : "") > 0)
            memcpy(x->bound[n++], b, sizeof *ids);
    }
    free(ids);
    split_post(x, ms, till, n);
    split_chunk(s, x, 0, lg, nlg, r);
    for (int k; (k = split_take(x)) >= 0;)
        split_chunk(s, x, k, NULL, 0, NULL);
    pthread_mutex_lock(&x->mu);
    while (x->done < x->next)
        pthread_cond_wait(&x->cv, &x->mu);
    bool failed = x->failed;
    ms->stranger |= x->stranger;
    pthread_mutex_unlock(&x->mu);
    if (failed && x->err[0])
        return store_fail(s, "%s", x->err);
    return failed ? -1 : 0;
}

/* The second thread: its caller's work, then chunks until none is left. */
static void *split_thread(void *arg)
{
    struct split *x = arg;
    if (x->side)
        x->side(x->side_arg);
    pthread_mutex_lock(&x->mu);
    while (!x->posted)
        pthread_cond_wait(&x->cv, &x->mu);
    pthread_mutex_unlock(&x->mu);
    for (int k; (k = split_take(x)) >= 0;)
        split_chunk(x->b, x, k, NULL, 0, NULL);
    return NULL;
}

/* Every member's figures for the query's period that `want` asks for
 * (WANT_TIERS never with a till: the tiers are the whole shop's): the
 * pass above. The caller frees them (members_free), whatever this
 * returns. */
static int members_pass(store *s, const struct store_report_query *q, int want, struct members *ms,
                        struct split *x)
{
    const struct store_period *p = &q->period;
    const char *till = report_till(q);
    memset(ms, 0, sizeof *ms);
    ms->want = want;
    ms->at[AT_START] = p->from;
    ms->at[AT_END] = p->to;
    ms->use[AT_START] = ms->use[AT_END] = true;
    if (want & WANT_SEGMENTS) {
        ms->at[AT_PREV] = p->prev_from;
        ms->at[AT_YEAR] = p->to - MS_365D;
        ms->at[AT_PREV_YEAR] = p->from - MS_365D;
        ms->use[AT_PREV] = ms->use[AT_YEAR] = ms->use[AT_PREV_YEAR] = true;
    }
    if (want & WANT_TIERS) {
        /* A window's spend is after its start and before its end
         * (program.c tier_status): from the moment after the start on. */
        int64_t window = setting_int(s, "tier.window_days") * DAY_MS;
        ms->at[AT_TIER_END] = p->to - window + 1;
        ms->at[AT_TIER_START] = p->from - window + 1;
        ms->use[AT_TIER_END] = ms->use[AT_TIER_START] = true;
    }
    if (want & WANT_VISITS) {
        ms->at[AT_PREV] = p->prev_from;
        ms->at[AT_PREV2] = p->prev_from - (p->from - p->prev_from);
        ms->use[AT_PREV] = ms->use[AT_PREV2] = true;
    }
    ms->till = till[0] != '\0';
    if (load_members(s, ms, till) != 0)
        return -1;
    /* A long log (a shop just seeded, imported or caught up, before
     * rollup.c folded it) would make a seek per member: one pass instead,
     * reading the log as it goes. */
    struct log_reader r;
    struct moment *lg = NULL;
    size_t nlg, most = ms->n / 8 + 64;
    int rc = log_open(s, ms, till, NULL, &r);
    if (rc == 0)
        rc = log_moments(s, &r, most + 1, &lg, &nlg);
    /* Split only through the log's index: without it each chunk would
     * sort the whole log again. */
    int split = rc == 0 && x && nlg > most ? rollup_log_indexed(s) : 0;
    if (split < 0)
        rc = -1;
    if (rc == 0 && split)
        rc = split_history(s, ms, x, till, lg, nlg, &r);
    else if (rc == 0)
        rc = nlg > most ? history_pass(s, ms, till, NULL, NULL, lg, nlg, &r) : state_pass(s, ms, till, lg, nlg);
    if (r.st)
        sqlite3_reset(r.st);
    free(lg);
    free(ms->state);            /* indexed as ms->m, which is packed below */
    ms->state = NULL;
    if (rc != 0)
        return -1;
    if (want & WANT_VISITS)
        add_counts(ms);
    /* Packed: the members, and with a till, who never bought there is no
     * member of it. */
    size_t kept = 0;
    for (size_t i = 0; i < ms->n; i++)
        if (ms->m[i].member && (!ms->till || ms->m[i].n1 > 0))
            ms->m[kept++] = ms->m[i];
    ms->n = kept;
    if (!(want & WANT_SEGMENTS))
        return 0;
    if (rank_members(s, ms) != 0)
        return -1;
    classify(ms);
    return 0;
}

/* A listed member's row: the figures and the name, phone, e-mail and
 * consent. 1: forgotten (never listed), 0, or -1. */
static int member_row(store *s, const struct member *m, struct store_member_row *r)
{
    sqlite3_stmt *st = store_sql(s, "SELECT name, phone, email, consent, forgotten FROM customers WHERE id = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, m->id);
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW) {
        sqlite3_reset(st);
        return rc == SQLITE_DONE ? store_fail(s, _("no such customer")) : db_fail(s);
    }
    memset(r, 0, sizeof *r);
    snprintf(r->id, sizeof r->id, "%s", m->id);
    copy_col(st, 0, r->name, sizeof r->name);
    copy_col(st, 1, r->phone, sizeof r->phone);
    copy_col(st, 2, r->email, sizeof r->email);
    r->consent = sqlite3_column_int(st, 3) != 0;
    bool forgotten = sqlite3_column_int(st, 4) != 0;
    sqlite3_reset(st);
    r->segment = m->seg1;
    r->visits = m->vp;
    r->spend = m->sp;
    r->prev_visits = m->vq;
    r->prev_spend = m->sq;
    r->last_visit = m->l1 == NONE ? 0 : m->l1;
    r->total_visits = m->n1;
    r->interval_days = m->n1 >= 3 ? report_div_round((m->l1 - m->f1) / (m->n1 - 1), DAY_MS) : STORE_NA;
    return forgotten ? 1 : 0;
}

/* A comparison of two members' indexes (qsort_r's: the sorts run on either
 * thread, so what they compare by is an argument, never a static). */
typedef int (*order_fn)(const void *, const void *, void *);

static void sift_down(size_t *h, size_t n, size_t i, order_fn cmp, void *arg)
{
    for (size_t c; (c = 2 * i + 1) < n; i = c) {
        if (c + 1 < n && cmp(&h[c + 1], &h[c], arg) > 0)
            c++;
        if (cmp(&h[c], &h[i], arg) <= 0)
            return;
        size_t t = h[i];
        h[i] = h[c];
        h[c] = t;
    }
}

/* The first k of order[0..n) by cmp (a strict order), sorted, at its
 * front; the rest after them in no order. A heap of the k first seen,
 * its root the last of them: a list of 50 out of 100,000 members
 * compares each once or twice, not the seventeen times of a full sort. */
static void sort_first(size_t *order, size_t n, size_t k, order_fn cmp, void *arg)
{
    if (k < n) {
        for (size_t i = k / 2; i-- > 0;)
            sift_down(order, k, i, cmp, arg);
        for (size_t i = k; i < n; i++)
            if (cmp(&order[i], &order[0], arg) < 0) {
                size_t t = order[0];
                order[0] = order[i];
                order[i] = t;
                sift_down(order, k, 0, cmp, arg);
            }
    }
    qsort_r(order, k < n ? k : n, sizeof *order, cmp, arg);
}

/* Lists the members in cmp's order (order: an array of indexes, sorted
 * here only as far as the list goes), skipping the forgotten, at most
 * limit (<= 0: all). pos: the place among those listed (segments) or
 * among all (customers). */
static int list_members(store *s, const struct members *ms, size_t *order, size_t n, order_fn cmp, void *cmp_arg,
                        int limit, bool keep_place,
                        void (*score)(const struct members *, const struct member *, struct store_member_row *, void *),
                        void *score_arg, int (*fn)(const struct store_member_row *, void *), void *arg)
{
    struct store_member_row *r = malloc(sizeof *r);
    if (!r)
        return store_fail(s, _("out of memory"));
    int out = 0;
    int64_t listed = 0;
    size_t sorted = 0;          /* order[0..sorted) are in order */
    for (size_t i = 0; i < n && (limit <= 0 || listed < limit); i++) {
        if (i == sorted) {      /* the next ones: those left to list and a few forgotten, then as many again as are sorted */
            size_t k = limit <= 0 ? n - i : sorted ? sorted : (size_t)limit + 16;
            sort_first(order + i, n - i, k, cmp, cmp_arg);
            sorted = i + k < n ? i + k : n;
        }
        const struct member *m = &ms->m[order[i]];
        int rc = member_row(s, m, r);
        if (rc < 0) {
            out = -1;
            break;
        }
        if (rc == 1)
            continue;
        r->rank = keep_place ? (int64_t)i + 1 : listed + 1;
        if (score)
            score(ms, m, r, score_arg);
        listed++;
        if ((out = fn(r, arg)) != 0)
            break;
    }
    free(r);
    return out;
}

/* --- tiers ----------------------------------------------------------------- */

/* The tier a window's spend reaches among the thresholds (eight, the
 * unused ones out of reach): how many it reaches, less one; -1 below the
 * first. */
static int tier_of(const int64_t thr[8], int64_t spend)
{
    int t = -1;
    for (int i = 0; i < 8; i++)
        t += spend >= thr[i];
    return t;
}

/* The tier rows from a pass that worked out the windows (WANT_TIERS):
 * each tier in order, then "" for the members below the first, when
 * there are any now or then. A member who joined from T1 on is new; the
 * others came up or down when their tier then was lower or higher. */
static int tiers_emit(store *s, const struct members *ms, int (*fn)(const struct store_tier_row *, void *),
                      void *arg)
{
    struct tier tiers[8];
    int n = tiers_load(s, tiers, 8);
    int64_t thr[8];
    struct store_tier_row rows[9];
    memset(rows, 0, sizeof rows);
    for (int i = 0; i < 8; i++)
        thr[i] = i < n ? tiers[i].threshold : INT64_MAX;
    for (int i = 0; i < n; i++)
        snprintf(rows[i].tier, sizeof rows[i].tier, "%.63s", tiers[i].name);
    for (size_t i = 0; i < ms->n; i++) {
        const struct member *m = &ms->m[i];
        int t1 = tier_of(thr, m->w1);
        struct store_tier_row *r = &rows[t1 >= 0 && t1 < n ? t1 : n];
        r->members++;
        if (m->joined >= ms->at[AT_START]) {
            r->joined++;
            continue;
        }
        int t0 = tier_of(thr, m->w0);
        r->up += t0 < t1;
        r->down += t0 > t1;
        rows[t0 >= 0 && t0 < n ? t0 : n].prev_members++;
    }
    for (int i = 0; i <= n; i++) {
        if (i == n && !rows[n].members && !rows[n].prev_members)
            break;
        int out = fn(&rows[i], arg);
        if (out != 0)
            return out;
    }
    return 0;
}

/* The tiers are the whole shop's: a till asked for is not used. */
static int tiers_tx(store *s, const struct store_report_query *q, int (*fn)(const struct store_tier_row *, void *),
                    void *arg)
{
    struct store_report_query shop = *q;
    shop.till = NULL;
    struct members ms;
    int rc = members_pass(s, &shop, WANT_TIERS, &ms, NULL);
    if (rc == 0)
        rc = tiers_emit(s, &ms, fn, arg);
    members_free(&ms);
    return rc;
}

int store_report_tiers(store *s, const struct store_report_query *q,
                       int (*fn)(const struct store_tier_row *, void *), void *arg)
{
    IN_READ(tiers_tx(s, q, fn, arg));
}

/* --- segments -------------------------------------------------------------- */

static int cmp_i64_desc(int64_t a, int64_t b)
{
    return a < b ? 1 : a > b ? -1 : 0;
}

/* A segment's members: most spend over the year first, then the latest
 * visit, then the earliest first visit, then the id. */
static int segment_order(const void *a, const void *b, void *arg)
{
    const struct members *ms = arg;
    const struct member *x = &ms->m[*(const size_t *)a], *y = &ms->m[*(const size_t *)b];
    int c = cmp_i64_desc(x->m1, y->m1);
    if (!c)
        c = cmp_i64_desc(x->l1, y->l1);
    if (!c)
        c = -cmp_i64_desc(x->f1, y->f1);
    return c ? c : strcmp(x->id, y->id);
}

/* With cur, the summary too, its visit figures from the same pass (from
 * its own query when the rollups hold rows of someone the customers table
 * does not); with tier_fn, the tiers: from the same pass, or with a till
 * (the tiers are the whole shop's) from one of their own. x: the pass
 * shared with a second thread (NULL: none). */
static int segments_tx(store *s, struct split *x, const struct store_report_query *q, struct store_summary *cur,
                       struct store_summary *prev, struct store_segment_stats stats[2][SEG_COUNT],
                       int seg, int limit, int (*fn)(const struct store_member_row *, void *), void *arg,
                       int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg)
{
    struct members ms;
    bool shared = tier_fn && !q->till;
    int rc = members_pass(s, q, WANT_SEGMENTS | (shared ? WANT_TIERS : 0) | (cur ? WANT_VISITS : 0), &ms, x);
    if (rc == 0 && cur)
        rc = report_summary_tx(s, q, ms.stranger ? NULL : &ms.counts, cur, prev);
    if (rc == 0 && tier_fn)
        rc = shared ? tiers_emit(s, &ms, tier_fn, tier_arg) : tiers_tx(s, q, tier_fn, tier_arg);
    size_t *order = rc == 0 ? malloc((ms.n ? ms.n : 1) * sizeof *order) : NULL;
    if (rc == 0 && !order)
        rc = store_fail(s, _("out of memory"));
    size_t n = 0;
    for (size_t i = 0; rc == 0 && i < ms.n; i++) {
        const struct member *m = &ms.m[i];
        stats[1][m->seg1].members++;
        stats[1][m->seg1].sales += m->sp;
        if (m->seg0 >= 0) {
            stats[0][m->seg0].members++;
            stats[0][m->seg0].sales += m->sq;
        }
        if (m->seg1 == seg)
            order[n++] = i;
    }
    if (rc == 0 && seg >= 0)
        rc = list_members(s, &ms, order, n, segment_order, &ms, limit, false, NULL, NULL, fn, arg);
    free(order);
    members_free(&ms);
    return rc;
}

int store_report_segments(store *s, const struct store_report_query *q,
                          struct store_segment_stats cur[SEG_COUNT],
                          struct store_segment_stats prev[SEG_COUNT])
{
    return store_report_segments_and_members(s, q, cur, prev, -1, 0, NULL, NULL);
}

int store_report_segment_members(store *s, const struct store_report_query *q, int seg,
                                 int limit, int (*fn)(const struct store_member_row *, void *),
                                 void *arg)
{
    if (seg < 0)
        return store_fail(s, _("no such segment"));
    return store_report_segments_and_members(s, q, NULL, NULL, seg, limit, fn, arg);
}

int store_report_segments_and_members(store *s, const struct store_report_query *q,
                                      struct store_segment_stats cur[SEG_COUNT],
                                      struct store_segment_stats prev[SEG_COUNT], int seg,
                                      int limit, int (*fn)(const struct store_member_row *, void *),
                                      void *arg)
{
    return store_report_overview(s, q, NULL, NULL, cur, prev, seg, limit, fn, arg, NULL, NULL);
}

static int overview(store *s, struct split *x, const struct store_report_query *q, struct store_summary *sum_cur,
                    struct store_summary *sum_prev, struct store_segment_stats cur[SEG_COUNT],
                    struct store_segment_stats prev[SEG_COUNT], int seg, int limit,
                    int (*fn)(const struct store_member_row *, void *), void *arg,
                    int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg)
{
    if (seg >= SEG_COUNT)
        return store_fail(s, _("no such segment"));
    struct store_segment_stats stats[2][SEG_COUNT];
    memset(stats, 0, sizeof stats);
    bool began;
    if (report_read_begin(s, &began) != 0)
        return -1;
    int rc = report_check_till(s, q);
    if (rc == 0)
        rc = segments_tx(s, x, q, sum_cur, sum_prev, stats, seg, limit, fn, arg, tier_fn, tier_arg);
    rc = report_read_end(s, began, rc);
    if (rc != 0)
        return rc;
    for (int k = 0; k < 2; k++) {
        int64_t total = 0;
        for (int i = 0; i < SEG_COUNT; i++)
            total += stats[k][i].sales;
        for (int i = 0; i < SEG_COUNT; i++)
            stats[k][i].share = report_rate(stats[k][i].sales, total);
    }
    if (cur)
        memcpy(cur, stats[1], sizeof stats[1]);
    if (prev)
        memcpy(prev, stats[0], sizeof stats[0]);
    return 0;
}

int store_report_overview(store *s, const struct store_report_query *q, struct store_summary *sum_cur,
                          struct store_summary *sum_prev, struct store_segment_stats cur[SEG_COUNT],
                          struct store_segment_stats prev[SEG_COUNT], int seg, int limit,
                          int (*fn)(const struct store_member_row *, void *), void *arg,
                          int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg)
{
    return overview(s, NULL, q, sum_cur, sum_prev, cur, prev, seg, limit, fn, arg, tier_fn, tier_arg);
}

int store_report_overview_pair(store *s, store *b, void (*side)(void *), void *side_arg,
                               const struct store_report_query *q, struct store_summary *sum_cur,
                               struct store_summary *sum_prev, struct store_segment_stats cur[SEG_COUNT],
                               struct store_segment_stats prev[SEG_COUNT], int seg, int limit,
                               int (*fn)(const struct store_member_row *, void *), void *arg,
                               int (*tier_fn)(const struct store_tier_row *, void *), void *tier_arg)
{
    struct split *x = calloc(1, sizeof *x);
    bool threaded = x && pthread_mutex_init(&x->mu, NULL) == 0;
    if (threaded && pthread_cond_init(&x->cv, NULL) != 0) {
        pthread_mutex_destroy(&x->mu);
        threaded = false;
    }
    if (threaded) {
        x->b = b;
        x->side = side;
        x->side_arg = side_arg;
        if (pthread_create(&x->thread, NULL, split_thread, x) != 0) {
            pthread_cond_destroy(&x->cv);
            pthread_mutex_destroy(&x->mu);
            threaded = false;
        }
    }
    int rc = overview(s, threaded ? x : NULL, q, sum_cur, sum_prev, cur, prev, seg, limit, fn, arg, tier_fn, tier_arg);
    if (threaded) {
        pthread_mutex_lock(&x->mu);
        bool posted = x->posted;
        pthread_mutex_unlock(&x->mu);
        if (!posted)            /* no chunks (the state path, or an error before them) */
            split_post(x, NULL, NULL, 0);
        pthread_join(x->thread, NULL);
        pthread_cond_destroy(&x->cv);
        pthread_mutex_destroy(&x->mu);
    } else if (side) {
        side(side_arg);
    }
    free(x);
    return rc;
}

/* --- customers ------------------------------------------------------------- */

/* RFM: each score is where the member stands among the members active in
 * the period, in fifths: 5 * (how many have at most their value) / all,
 * rounded up, so equal values score alike and the top value scores 5.
 * Recency by the last visit, frequency by visits and monetary by spend in
 * the period. Ties in the ranking go by spend, visits, last visit, then the
 * earlier first visit (not the random id, so a seeded demo always lists
 * the same). A forgotten member keeps their place but is not shown. */
struct rfm {
    int64_t *l, *v, *s;         /* the active members' values, ascending */
    size_t n;
};

/* How many of the sorted (ascending) values are at most v. */
static int64_t at_most(const int64_t *sorted, size_t n, int64_t v)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (sorted[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return (int64_t)lo;
}

static int fifth(int64_t le, size_t n)
{
    return (int)((5 * le + (int64_t)n - 1) / (int64_t)n);
}

static void rfm_score(const struct members *ms, const struct member *m, struct store_member_row *r, void *arg)
{
    (void)ms;
    const struct rfm *x = arg;
    r->r = fifth(at_most(x->l, x->n, m->l1), x->n);
    r->f = fifth(at_most(x->v, x->n, m->vp), x->n);
    r->m = fifth(at_most(x->s, x->n, m->sp), x->n);
}

struct ranking {
    const struct members *ms;
    enum store_rank by;
};

static int customer_order(const void *a, const void *b, void *arg)
{
    const struct ranking *k = arg;
    const struct member *x = &k->ms->m[*(const size_t *)a], *y = &k->ms->m[*(const size_t *)b];
    int c = k->by == STORE_BY_SPEND ? cmp_i64_desc(x->sp, y->sp)
        : k->by == STORE_BY_VISITS ? cmp_i64_desc(x->vp, y->vp) : cmp_i64_desc(x->l1, y->l1);
    if (!c)
        c = cmp_i64_desc(x->sp, y->sp);
    if (!c)
        c = cmp_i64_desc(x->vp, y->vp);
    if (!c)
        c = cmp_i64_desc(x->l1, y->l1);
    if (!c)
        c = -cmp_i64_desc(x->f1, y->f1);
    return c ? c : strcmp(x->id, y->id);
}

static int customers_tx(store *s, const struct store_report_query *q, enum store_rank by, int limit,
                        int (*fn)(const struct store_member_row *, void *), void *arg)
{
    struct members ms;
    if (members_pass(s, q, WANT_SEGMENTS, &ms, NULL) != 0) {
        members_free(&ms);
        return -1;
    }
    size_t cap = ms.n ? ms.n : 1;
    size_t *order = malloc(cap * sizeof *order);
    struct rfm x = { malloc(cap * sizeof *x.l), malloc(cap * sizeof *x.v), malloc(cap * sizeof *x.s), 0 };
    int64_t *tmp = malloc(cap * sizeof *tmp);
    int rc = 0;
    if (!order || !x.l || !x.v || !x.s || !tmp)
        rc = store_fail(s, _("out of memory"));
    for (size_t i = 0; rc == 0 && i < ms.n; i++)
        if (ms.m[i].vp > 0) {
            order[x.n] = i;
            x.l[x.n] = ms.m[i].l1;
            x.v[x.n] = ms.m[i].vp;
            x.s[x.n] = ms.m[i].sp;
            x.n++;
        }
    if (rc == 0) {
        sort_values(x.l, tmp, x.n, false);
        sort_values(x.v, tmp, x.n, false);
        sort_values(x.s, tmp, x.n, false);
        struct ranking k = { &ms, by };
        rc = list_members(s, &ms, order, x.n, customer_order, &k, limit, true, rfm_score, &x, fn, arg);
    }
    free(order);
    free(tmp);
    free(x.l);
    free(x.v);
    free(x.s);
    members_free(&ms);
    return rc;
}

int store_report_customers(store *s, const struct store_report_query *q, enum store_rank by,
                           int limit, int (*fn)(const struct store_member_row *, void *),
                           void *arg)
{
    bool began;
    if (report_read_begin(s, &began) != 0)
        return -1;
    int rc = report_check_till(s, q);
    if (rc == 0)
        rc = customers_tx(s, q, by, limit, fn, arg);
    return report_read_end(s, began, rc);
}
