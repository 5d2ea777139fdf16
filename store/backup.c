/* backup.c - consistent copies while the kiosk and syncd keep writing,
 * restoring one safely, and checking a ledger: SQLite's integrity check
 * plus the ledger's own invariants, said in words. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

/* Copies the open database into a new file at dest through SQLite's online
 * backup API, in one step: it reads one snapshot, so the copy is
 * consistent, and in WAL mode the writers are not held up meanwhile. The
 * copy is written under a temporary name and renamed, so a half-written
 * file never looks like a backup. */
/* A failed copy goes with whatever SQLite made beside it: a full disk
 * can stop it with its rollback journal or its WAL still there. */
static void unlink_partial(const char *tmp)
{
    static const char *const SIDE[] = { "", "-journal", "-wal", "-shm" };
    char path[4300];
    for (size_t i = 0; i < sizeof SIDE / sizeof SIDE[0]; i++) {
        snprintf(path, sizeof path, "%s%s", tmp, SIDE[i]);
        unlink(path);
    }
}

int store_backup(store *s, const char *dest)
{
    char tmp[4200];
    /* Named for this process: two backups to one name at once (the hourly
     * timer and a manager's command) must not write into one file. */
    snprintf(tmp, sizeof tmp, "%s.partial-%ld", dest, (long)getpid());
    unlink_partial(tmp);
    int fd = open(tmp, O_CREAT | O_EXCL | O_WRONLY, 0600);
    if (fd < 0)
        return store_fail(s, _("cannot write %s: %s"), tmp, strerror(errno));
    close(fd);
    sqlite3 *out;
    if (sqlite3_open_v2(tmp, &out, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        sqlite3_close(out);
        unlink_partial(tmp);
        return store_fail(s, _("cannot write %s"), tmp);
    }
    sqlite3_backup *b = sqlite3_backup_init(out, "main", s->db, "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    sqlite3_backup_finish(b);
    int code = sqlite3_errcode(out);
    /* A backup is a single file: no WAL to carry around. */
    if (rc == SQLITE_DONE)
        rc = sqlite3_exec(out, "PRAGMA journal_mode=DELETE", NULL, NULL, NULL) == SQLITE_OK ? SQLITE_DONE : SQLITE_ERROR;
    sqlite3_close(out);
    if (rc != SQLITE_DONE) {
        unlink_partial(tmp);
        if (code == SQLITE_FULL || errno == ENOSPC)
            return store_fail(s, _("the disk is full: no backup was written"));
        return store_fail(s, _("the backup failed (%s); no backup was written"), sqlite3_errstr(rc));
    }
    if (rename(tmp, dest) != 0) {
        unlink_partial(tmp);
        return store_fail(s, _("cannot write %s: %s"), dest, strerror(errno));
    }
    return 0;
}

/* Looks into a file that claims to be a tally database or backup. */
static int read_identity(const char *path, char shop_id[17], int *version, char *err, size_t errsz)
{
    sqlite3 *db;
    sqlite3_stmt *st = NULL;
    int ok = -1;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
        goto out;
    if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
        goto out;
    *version = sqlite3_column_int(st, 0);
    sqlite3_finalize(st);
    st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM local WHERE key = 'shop_id'", -1, &st, NULL) != SQLITE_OK ||
        sqlite3_step(st) != SQLITE_ROW || sqlite3_column_bytes(st, 0) != 16)
        goto out;
    memcpy(shop_id, sqlite3_column_blob(st, 0), 16);
    shop_id[16] = '\0';
    ok = 0;
out:
    if (ok != 0)
        snprintf(err, errsz, _("%s is not a tally database or backup"), path);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

int store_restore(store *s, const char *backup)
{
    char theirs[17], ours[17] = "";
    int version;
    if (read_identity(backup, theirs, &version, s->err, sizeof s->err) != 0)
        return -1;
    if (version > STORE_SCHEMA_VERSION)
        return store_fail(s, _("%s was made by a newer tally: upgrade this till first"), backup);
    if (local_get(s, "shop_id", ours, 16) == 16 && strncmp(ours, theirs, 16) != 0)
        return store_fail(s, _("%s is a backup of another shop; nothing was restored"), backup);
    sqlite3 *in;
    if (sqlite3_open_v2(backup, &in, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(in);
        return store_fail(s, _("cannot read %s"), backup);
    }
    store_release(s);
    sqlite3_backup *b = sqlite3_backup_init(s->db, "main", in, "main");
    int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
    sqlite3_backup_finish(b);
    sqlite3_close(in);
    if (rc != SQLITE_DONE)
        return store_fail(s, _("the restore failed (%s)"), sqlite3_errstr(rc));
    /* The restored copy may be older than what this till already sent to
     * its peers: never reuse those sequence numbers. This till goes on
     * under a new origin; the old one becomes a till like any other, whose
     * later events come back from the peers that hold them. */
    if (sql_exec(s, "PRAGMA journal_mode=WAL") != 0 || tx_begin(s) != 0)
        return -1;
    char origin[STORE_ORIGIN_LEN + 1], prev[STORE_ORIGIN_LEN + 1] = "";
    local_get(s, "origin", prev, STORE_ORIGIN_LEN);
    random_id(origin, STORE_ORIGIN_LEN);
    sqlite3_stmt *st = store_sql(s, "INSERT OR REPLACE INTO vv(origin, seq)"
                              " SELECT ?1, coalesce(max(seq), 0) FROM events WHERE origin = ?1");
    if (!st) {
        tx_rollback(s);
        return -1;
    }
    bind_text(st, 1, prev);
    if (sqlite3_step(st) != SQLITE_DONE || local_set(s, "origin", origin, STORE_ORIGIN_LEN) != 0 ||
        local_set(s, "restored_from", prev, STORE_ORIGIN_LEN) != 0) {
        db_fail(s);
        tx_rollback(s);
        return -1;
    }
    if (tx_commit(s) != 0)
        return -1;
    for (int i = 0; i < STMT_CACHE; i++)    /* the schema may differ: prepare afresh */
        if (s->cache[i].sql) {
            sqlite3_finalize(s->cache[i].st);
            free(s->cache[i].sql);
            s->cache[i].sql = NULL;
        }
    s->nlive = 0;
    settings_changed(s);
    tier_cache_drop(s);
    messages_held_drop(s);
    return load_shop(s);
}

/* --- check ------------------------------------------------------------ */

struct check { store *s; int (*fn)(enum store_check_level, const char *, void *); void *arg; int errors; };

static int backup_say(struct check *c, enum store_check_level level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int backup_say(struct check *c, enum store_check_level level, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (level == STORE_CHECK_ERROR)
        c->errors++;
    return c->fn(level, msg, c->arg);
}

/* A check that could not run is a finding too: an error, in words, never
 * silence (a ledger missing a table would otherwise pass). `what` is a
 * sentence with one %s for the database's reason. */
static void cannot(struct check *c, const char *what)
{
    char reason[512];
    snprintf(reason, sizeof reason, "%s", store_error(c->s));
    backup_say(c, STORE_CHECK_ERROR, what, reason);
}

static sqlite3_stmt *check_sql(struct check *c, const char *what, const char *text)
{
    sqlite3_stmt *st = store_sql(c->s, text);
    if (!st)
        cannot(c, what);
    return st;
}

/* After a statement's last row: whether it ended or broke off. */
static bool check_done(struct check *c, const char *what, int step)
{
    if (step == SQLITE_DONE)
        return true;
    db_fail(c->s);
    cannot(c, what);
    return false;
}

static void check_sqlite(struct check *c)
{
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(c->s->db, "PRAGMA integrity_check", -1, &st, NULL) != SQLITE_OK) {
        backup_say(c, STORE_CHECK_ERROR, _("the database cannot be read: %s"), sqlite3_errmsg(c->s->db));
        return;
    }
    int n = 0, step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *line = (const char *)sqlite3_column_text(st, 0);
        if (line && strcmp(line, "ok") != 0 && n++ < 20)
            backup_say(c, STORE_CHECK_ERROR, _("database damage: %s"), line);
    }
    if (step != SQLITE_DONE)
        backup_say(c, STORE_CHECK_ERROR, _("the database cannot be read: %s"), sqlite3_errmsg(c->s->db));
    sqlite3_finalize(st);
    if (!n && step == SQLITE_DONE)
        backup_say(c, STORE_CHECK_OK, "%s", _("SQLite integrity check: ok"));
}

/* Columns col (points) and col + 1 (stamps) of a row, in words. */
static void points_stamps(sqlite3_stmt *st, int col, char points[64], char stamps[64])
{
    int64_t p = sqlite3_column_int64(st, col), s = sqlite3_column_int64(st, col + 1);
    snprintf(points, 64, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(p)), p);
    snprintf(stamps, 64, ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(s)), s);
}

static void check_balances(struct check *c)
{
    const char *what = _("the balances could not be checked: %s");
    /* Every balance must be the sum of the effects that count, with what
     * each purchase's standing adds (lot_adjust, events.c). */
    sqlite3_stmt *st = check_sql(c, what,
        "SELECT c.id, c.points, c.stamps, c.credit, c.spend, c.visits,"
        " coalesce(sum(e.points), 0), coalesce(sum(e.stamps), 0), coalesce(sum(e.credit), 0),"
        " coalesce(sum(e.spend), 0), coalesce(sum(e.visits), 0)"
        " FROM customers c LEFT JOIN (SELECT customer, points, stamps, credit, spend, visits FROM events e"
        "  WHERE e.occasion = '' OR EXISTS (SELECT 1 FROM occasions o WHERE o.key = e.occasion"
        "   AND o.origin = e.origin AND o.seq = e.seq)"
        "  UNION ALL SELECT customer, points, stamps, credit, spend, visits FROM lot_adjust) e"
        " ON e.customer = c.id GROUP BY c.id");
    if (!st)
        return;
    int64_t customers = 0, wrong = 0;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        customers++;
        bool bad = false;
        for (int i = 1; i <= 5; i++)
            bad |= sqlite3_column_int64(st, i) != sqlite3_column_int64(st, i + 5);
        if (bad && wrong++ < 10) {
            char bpt[64], bst[64], ept[64], est[64];
            points_stamps(st, 1, bpt, bst);
            points_stamps(st, 6, ept, est);
            /* TRANSLATORS: "customer 3fa2c1d9: the balance (12 points, 1 stamp) is
             * not the sum of their events (10 points, 1 stamp)": the counts are
             * the messages "%d points" and "%d stamps". */
            backup_say(c, STORE_CHECK_ERROR, _("customer %s: the balance (%s, %s) is not the sum of their events (%s, %s)"),
                (const char *)sqlite3_column_text(st, 0), bpt, bst, ept, est);
        }
    }
    if (!check_done(c, what, step))
        return;
    if (!wrong)
        backup_say(c, STORE_CHECK_OK, ngettext("the balance of %" PRId64 " customer equals the sum of their events",
                                       "balances of %" PRId64 " customers equal the sums of their events",
                                       i18n_n(customers)), customers);
}

/* The balances by month (roll_balance, rollup.c) add up to each balance:
 * the overdrafts report sums a balance at a moment from them. Months of
 * an id the customers table lacks are a balance of nothing that its
 * months say is something (a FULL JOIN would do both at once, but
 * SQLite 3.40 then scans the grouped months once per customer). */
static void check_balance_months(struct check *c)
{
    const char *what = _("the balances by month could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what,
        "SELECT c.id AS who, c.points, c.stamps, coalesce(r.p, 0), coalesce(r.s, 0) FROM customers c"
        " LEFT JOIN (SELECT customer, sum(points) AS p, sum(stamps) AS s, sum(credit) AS cr FROM roll_balance"
        "  GROUP BY customer) r ON r.customer = c.id"
        " WHERE c.points <> coalesce(r.p, 0) OR c.stamps <> coalesce(r.s, 0) OR c.credit <> coalesce(r.cr, 0)"
        " UNION ALL SELECT customer, 0, 0, sum(points), sum(stamps) FROM roll_balance"
        "  WHERE customer NOT IN (SELECT id FROM customers) GROUP BY customer"
        "  HAVING sum(points) <> 0 OR sum(stamps) <> 0 OR sum(credit) <> 0"
        " ORDER BY who LIMIT 10");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char bpt[64], bst[64], mpt[64], mst[64];
        points_stamps(st, 1, bpt, bst);
        points_stamps(st, 3, mpt, mst);
        /* TRANSLATORS: "customer 3fa2c1d9: the balance (12 points, 1 stamp)
         * is not the sum of its months (10 points, 1 stamp)...": the counts
         * are the messages "%d points" and "%d stamps"; the months are a
         * table the overdrafts report reads. */
        backup_say(c, STORE_CHECK_ERROR, _("customer %s: the balance (%s, %s) is not the sum of its months (%s, %s), which 'tally report overdrafts' reads"),
            (const char *)sqlite3_column_text(st, 0), bpt, bst, mpt, mst);
    }
    check_done(c, what, step);
}

/* Balances no shop can reach: a point count past what one purchase may
 * earn, summed (points.per_unit and the multipliers are bounded, an earn
 * that would not fit is refused; such a balance came from elsewhere). */
static void check_absurd(struct check *c)
{
    const char *what = _("the balances could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what, "SELECT id, points FROM customers WHERE abs(points) > ?1"
                                          " ORDER BY abs(points) DESC LIMIT 10");
    if (!st)
        return;
    sqlite3_bind_int64(st, 1, POINTS_MAX);
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t p = sqlite3_column_int64(st, 1);
        char pt[64];
        snprintf(pt, sizeof pt, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(p)), p);
        /* TRANSLATORS: the count is the message "%d points". */
        backup_say(c, STORE_CHECK_ERROR, _("customer %s: a balance of %s is beyond anything a shop can give; 'tally events --customer' shows where it came from"),
            (const char *)sqlite3_column_text(st, 0), pt);
    }
    check_done(c, what, step);
}

/* Refunds made at tills cut off from each other that came to more than
 * their purchase: each was handed out at a counter, so both stand, and
 * the purchase counts for nothing; the manager hears of the excess. */
static void check_over_refunds(struct check *c)
{
    const char *what = _("the refunds could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what, "SELECT origin, seq, customer, spend FROM lot_adjust"
                                          " WHERE spend > 0 ORDER BY origin, seq");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        char amount[64];
        money_plain(sqlite3_column_int64(st, 3), c->s->digits, amount, sizeof amount);
        /* TRANSLATORS: "purchase 3fa2c1d9:42 (customer 5d1e...) was refunded
         * 60.00 PLN more than it came to, ..." */
        backup_say(c, STORE_CHECK_WARNING, _("purchase %s:%" PRId64 " (customer %s) was refunded %s %s more than it came to, at tills that were cut off from each other; both refunds stand"),
            (const char *)sqlite3_column_text(st, 0), (int64_t)sqlite3_column_int64(st, 1),
            (const char *)sqlite3_column_text(st, 2), amount, c->s->currency);
    }
    check_done(c, what, step);
}

static void check_sequences(struct check *c)
{
    const char *what = _("the numbering of the events could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what, "SELECT origin, count(*), min(seq), max(seq) FROM events GROUP BY origin");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *origin = (const char *)sqlite3_column_text(st, 0);
        int64_t n = sqlite3_column_int64(st, 1), lo = sqlite3_column_int64(st, 2), hi = sqlite3_column_int64(st, 3);
        if (lo == 1 && n == hi)
            backup_say(c, STORE_CHECK_OK, _("till %s: events 1 to %" PRId64 ", no gaps"), origin, hi);
        else if (strcmp(origin, c->s->origin) == 0)
            backup_say(c, STORE_CHECK_ERROR, ngettext("this till's own events have gaps: %" PRId64 " event numbered %" PRId64 " to %" PRId64,
                                          "this till's own events have gaps: %" PRId64 " events numbered %" PRId64 " to %" PRId64,
                                          i18n_n(n)), n, lo, hi);
        else
            backup_say(c, STORE_CHECK_WARNING, ngettext("till %s: %" PRId64 " of its events up to %" PRId64 " is still missing here; sync will fetch it",
                                                 "till %s: %" PRId64 " of its events up to %" PRId64 " are still missing here; sync will fetch them",
                                                 i18n_n(hi - n)),
                origin, hi - n, hi);
    }
    check_done(c, what, step);
}

static int verify_one(const struct store_event *ev, void *arg)
{
    int64_t *bad = arg;
    if (!event_hash_ok(ev))
        (*bad)++;
    return 0;
}

static void check_hashes(struct check *c)
{
    const char *what = _("the content hashes could not be checked: %s");
    int64_t bad = 0;
    if (store_list_events(c->s, NULL, verify_one, &bad) != 0) {
        cannot(c, what);
        return;
    }
    if (bad)
        backup_say(c, STORE_CHECK_ERROR, ngettext("%" PRId64 " event does not match its content hash (changed outside tally)",
                                             "%" PRId64 " events do not match their content hash (changed outside tally)",
                                             i18n_n(bad)), bad);
    else {
        int64_t all = store_event_count(c->s);
        backup_say(c, STORE_CHECK_OK, ngettext("the %" PRId64 " event matches its content hash", "all %" PRId64 " events match their content hashes",
                                        i18n_n(all)), all);
    }
    what = _("the events sent twice with other content could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what, "SELECT origin, seq FROM forks ORDER BY origin, seq LIMIT 10");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW)
        backup_say(c, STORE_CHECK_ERROR, _("fork: another till sent event %s:%" PRId64 " with other content than this till holds"),
            (const char *)sqlite3_column_text(st, 0), (int64_t)sqlite3_column_int64(st, 1));
    check_done(c, what, step);
}

/* A single-use coupon redeemed at two tills that were cut off from each
 * other: both uses stand (the customer had both), but the manager hears. */
static void check_coupons(struct check *c)
{
    const char *what = _("the coupons could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what, "SELECT code, uses FROM coupons WHERE uses > 1 ORDER BY code");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *code = (const char *)sqlite3_column_text(st, 0);
        backup_say(c, STORE_CHECK_WARNING, ngettext("coupon %.4s-%.4s was used %d time, at tills that were cut off from each other",
                                              "coupon %.4s-%.4s was used %d times, at tills that were cut off from each other",
                                              i18n_n(sqlite3_column_int(st, 1))),
            code, code + 4, sqlite3_column_int(st, 1));
    }
    check_done(c, what, step);
}

/* A till's claim to speak for an import that bound nothing
 * (sync_support.c): without proof, for an origin another key speaks for,
 * or with a key not its own; or one of two claims that each counted (a
 * vouch, or an older import listed in a till's first record), so that
 * neither binds (the import is disputed). */
static void check_vouches(struct check *c)
{
    const char *what = _("the claims to speak for imports could not be checked: %s");
    sqlite3_stmt *st = check_sql(c, what,
        "SELECT e.origin, substr(json_extract(e.data, '$.key'), length('" VOUCH_PREFIX "') + 1) AS x,"
        " EXISTS(SELECT 1 FROM signers d WHERE length(d.sign_key) = 0"
        "  AND d.origin = substr(json_extract(e.data, '$.key'), length('" VOUCH_PREFIX "') + 1))"
        " FROM events e WHERE e.type = 'setting' AND json_valid(e.data)"
        " AND substr(json_extract(e.data, '$.key'), 1, length('" VOUCH_PREFIX "')) = '" VOUCH_PREFIX "'"
        " AND NOT EXISTS(SELECT 1 FROM signers i JOIN signers v ON v.origin = e.origin"
        "  AND v.sign_key = i.sign_key WHERE i.origin = x"
        "  AND lower(hex(i.sign_key)) = json_extract(e.data, '$.value.sign_key'))"
        /* and the tills whose records list a disputed import as theirs */
        " UNION ALL SELECT e.origin, j.value, 1 FROM events e, json_each(e.data, '$.value.imports') j"
        " WHERE e.type = 'setting' AND json_valid(e.data) AND json_extract(e.data, '$.key') = 'till.' || e.origin"
        " AND j.value IN (SELECT origin FROM signers WHERE length(sign_key) = 0)"
        " ORDER BY 1, 2 LIMIT 10");
    if (!st)
        return;
    int step;
    while ((step = sqlite3_step(st)) == SQLITE_ROW) {
        const char *till = (const char *)sqlite3_column_text(st, 0), *x = (const char *)sqlite3_column_text(st, 1);
        if (sqlite3_column_int(st, 2))
            backup_say(c, STORE_CHECK_ERROR, _("till %s claimed to speak for import %s, as another till did: neither "
                                        "claim counts, and tills that lack that import's events cannot take "
                                        "them; find out which till cannot be trusted and remove it ('tally till "
                                        "remove')"), till, x);
        else
            backup_say(c, STORE_CHECK_ERROR, _("till %s claimed to speak for %s without proof, or for one another till "
                                        "speaks for: the claim was ignored; find out why, and remove that till "
                                        "('tally till remove') if it cannot be trusted"), till, x);
    }
    check_done(c, what, step);
}

/* An import stopped half way counts for nothing, or for part of itself
 * until it is added to the end: the manager hears which, and what to run. */
static void check_import(struct check *c)
{
    struct import_state st;
    if (import_state(c->s, &st) != 0) {
        cannot(c, _("the import could not be checked: %s"));
        return;
    }
    if (st.sealed && st.running)
        backup_say(c, STORE_CHECK_WARNING, _("an import is being added right now: %" PRId64 " of its %" PRId64 " events are in"),
            st.added, st.events);
    else if (st.sealed)
        backup_say(c, STORE_CHECK_WARNING, _("an import was stopped while it was being added: %" PRId64 " of its %" PRId64 " events are in, and other tills get none of it until all are; 'tally import finish' adds the rest"),
            st.added, st.events);
    else if (!st.running && (st.staged > 0 || st.copy))
        backup_say(c, STORE_CHECK_WARNING, "%s", _("an import stopped before it was complete left its work behind (none of it counts); 'tally import finish' clears it away"));
}

int store_check(store *s, int (*fn)(enum store_check_level, const char *, void *), void *arg)
{
    struct check c = { s, fn, arg, 0 };
    store_release(s);
    if (sql_exec(s, "BEGIN") != 0)      /* one snapshot for every check */
        return -1;
    check_sqlite(&c);
    check_sequences(&c);
    check_balances(&c);
    check_balance_months(&c);
    check_absurd(&c);
    check_over_refunds(&c);
    check_hashes(&c);
    check_coupons(&c);
    check_vouches(&c);
    check_import(&c);
    store_release(s);
    sql_exec(s, "COMMIT");
    return c.errors;
}

/* --- rotation ---------------------------------------------------------- */

static int backup_by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int store_backup_rotate(store *s, const char *dir, int keep, char *written, size_t writtensz)
{
    char stamp[32], path[4200];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    if (mkdir(dir, 0700) != 0 && errno != EEXIST)
        return store_fail(s, _("cannot create %s: %s"), dir, strerror(errno));
    snprintf(path, sizeof path, "%s/tally-%s.db", dir, stamp);
    if (store_backup(s, path) != 0)
        return -1;
    snprintf(written, writtensz, "%s", path);
    /* Keep the newest `keep`: the names sort by time. */
    char **names = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(dir);
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (strncmp(e->d_name, "tally-", 6) != 0 || len < 4 || strcmp(e->d_name + len - 3, ".db") != 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            char **grown = realloc(names, cap * sizeof *names);
            if (!grown)
                break;
            names = grown;
        }
        if ((names[n] = strdup(e->d_name)) != NULL)
            n++;
    }
    if (d)
        closedir(d);
    qsort(names, n, sizeof *names, backup_by_name);
    for (size_t i = 0; i < n; i++) {
        if (keep >= 0 && i + (size_t)keep < n) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            unlink(path);
        }
        free(names[i]);
    }
    free(names);
    return 0;
}
