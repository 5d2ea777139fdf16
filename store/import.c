/* import.c - 'tally import' of a whole file, all or nothing, without
 * keeping the counter waiting.
 *
 * A file of 100,000 customers or a million purchases is minutes of work.
 * Done in the till's ledger as one transaction it would hold the write
 * lock all along (a sale at the kiosk gives up after 10 s); done in many,
 * a bad row near the end or a kill would leave half of it behind. So an
 * import happens in four steps:
 *
 *  1. Work, on a copy. The ledger is copied to DB.import (SQLite's online
 *     backup: a read, which no writer waits for) and every row is done
 *     there by the ordinary store calls, in one transaction, as if by a
 *     till of its own: the copy writes under a new origin, the import's
 *     id. Nothing the ledger holds changes. A bad row, an error or a kill
 *     leaves a copy that nobody reads and the next import removes.
 *  2. Stage. The copy's new events go into the ledger's import_staged,
 *     STAGE_BATCH to a transaction: plain rows nothing reads but the
 *     adding and the counter's phone test. Then the copy has served and
 *     goes: adding never needs it, so losing it cannot hold anything up.
 *  3. Seal. One short transaction checks that no phone number of a new
 *     customer in it was given to someone else at the counter meanwhile,
 *     and records the import's id, its number of events and which file it
 *     was (local keys import.*): from then on the import is committed, and
 *     will be added whole. Until then a kill leaves staged rows that the
 *     next import (or 'tally import finish') drops.
 *  4. Add. Its events come into the ledger as another till's do when it
 *     catches up (store_apply_events: same validation, same derivation),
 *     IMPORT_BATCH to a transaction that also deletes them from
 *     import_staged, with a pause after each, so a sale waits for one of
 *     them at most. Until the last is in, the import's origin is left out
 *     of the version vector, of what sync serves and of 'tally events'
 *     (IMPORT_HIDDEN), so other tills get it whole once it is all here; an
 *     interrupted addition (a kill, a power cut) is finished from what is
 *     still staged by the next 'tally import' or 'tally import finish'.
 *
 * Only one import runs at a time: it holds an flock on DB.import.lock,
 * which the kernel lets go when the process dies, however it dies. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "i18n.h"
#include "internal.h"
#include "util/util.h"

#define IMPORT_BATCH 2000       /* events per transaction while adding */
#define IMPORT_PAUSE_MS 2       /* after each, so a waiting sale gets the lock */
#define STAGE_BATCH 20000       /* events per transaction while staging */
#define PATH_MAX_LEN 4096

static int import_paths(store *s, char *copy, char *lock, size_t sz)
{
    const char *db = sqlite3_db_filename(s->db, "main");
    if (!db || !*db || strlen(db) + 16 > sz)
        return store_fail(s, _("an import needs a database in a file"));
    snprintf(copy, sz, "%s.import", db);
    snprintf(lock, sz, "%s.import.lock", db);
    return 0;
}

void store_remove_database(const char *path)
{
    static const char *const SUFFIX[] = { "", "-journal", "-wal", "-shm" };
    char p[PATH_MAX_LEN + 16];
    for (size_t i = 0; i < sizeof SUFFIX / sizeof SUFFIX[0]; i++) {
        snprintf(p, sizeof p, "%s%s", path, SUFFIX[i]);
        unlink(p);
    }
}

/* The sealed import waiting to be added: its origin ("" when none), its
 * number of events and its file's hash. */
static int sealed(store *s, char origin[STORE_ORIGIN_LEN + 1], int64_t *events, char file[65])
{
    char n[24] = "";
    origin[0] = file[0] = '\0';
    *events = 0;
    int len = local_get(s, "import.origin", origin, STORE_ORIGIN_LEN);
    if (len != STORE_ORIGIN_LEN) {
        origin[0] = '\0';
        return 0;
    }
    origin[STORE_ORIGIN_LEN] = '\0';
    len = local_get(s, "import.events", n, sizeof n - 1);
    n[len > 0 ? len : 0] = '\0';
    *events = strtoll(n, NULL, 10);
    len = local_get(s, "import.file", file, 64);
    file[len == 64 ? 64 : 0] = '\0';
    return 0;
}

/* How many of origin's events the ledger holds (its version vector mark). */
static int64_t added_so_far(store *s, const char *origin)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT seq FROM vv WHERE origin = ?1", origin);
    if (!st)
        return -1;
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    store_release(s);
    return n;
}

static int64_t staged_count(store *s)
{
    sqlite3_stmt *st = store_sql(s, "SELECT count(*) FROM import_staged");
    int64_t n = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    store_release(s);
    return n < 0 ? db_fail(s) : n;
}

static int unseal(store *s, void *arg)
{
    (void)arg;
    sqlite3_stmt *st = store_sql(s, "DELETE FROM local WHERE key IN ('import.origin', 'import.events', 'import.file')");
    return st && sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* What an import stopped before its seal staged is nobody's: dropped a
 * batch per transaction, so the counter never waits long for it. */
static int unstage(store *s)
{
    for (;;) {
        if (tx_begin(s) != 0)
            return -1;
        sqlite3_stmt *st = store_sql(s, "DELETE FROM import_staged WHERE seq IN"
                                  " (SELECT seq FROM import_staged ORDER BY seq LIMIT ?1)");
        if (!st) {
            tx_rollback(s);
            return -1;
        }
        sqlite3_bind_int(st, 1, STAGE_BATCH);
        if (sqlite3_step(st) != SQLITE_DONE) {
            db_fail(s);
            tx_rollback(s);
            return -1;
        }
        int n = sqlite3_changes(s->db);
        if (tx_commit(s) != 0)
            return -1;
        if (n == 0)
            return 0;
    }
}

/* Step 2: origin's events after `after` from the work copy into
 * import_staged, a batch per transaction, each enrolment with its phone's
 * last nine digits (what the counter must not give away meanwhile). */
static int stage(store *s, const char *copy, const char *origin, int64_t after)
{
    if (access(copy, R_OK) != 0)
        return store_fail(s, _("the import's work copy %s is gone (%s)"), copy, strerror(errno));
    sqlite3_stmt *st = sql_keyed(s, "ATTACH DATABASE ?1 AS imp", copy);
    if (!st)
        return -1;
    int rc = sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
    store_release(s);
    for (int n = 1; rc == 0 && n > 0; ) {
        if ((rc = tx_begin(s)) != 0)
            break;
        st = store_sql(s, "INSERT INTO import_staged(" EVENT_COLS ", phone9) SELECT " EVENT_COLS ","
                    " CASE WHEN type = 'enrol' THEN coalesce((SELECT substr(c.phone, -9) FROM imp.customers c"
                    "  WHERE c.id = e.customer AND c.phone <> ''), '') ELSE '' END"
                    " FROM imp.events e WHERE origin = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3");
        if (!st) {
            tx_rollback(s);
            rc = -1;
            break;
        }
        bind_text(st, 1, origin);
        sqlite3_bind_int64(st, 2, after);
        sqlite3_bind_int(st, 3, STAGE_BATCH);
        if (sqlite3_step(st) != SQLITE_DONE) {
            rc = db_fail(s);
            tx_rollback(s);
            break;
        }
        n = sqlite3_changes(s->db);
        after += n;
        rc = tx_commit(s);
    }
    store_release(s);
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    sqlite3_exec(s->db, "DETACH DATABASE imp", NULL, NULL, NULL);
    memcpy(s->err, keep, sizeof keep);
    return rc;
}

/* Step 4: adds up to `limit` (0: all) of the sealed import's staged
 * events, each batch deleted from import_staged in its own transaction,
 * then unseals (the import shows). An import sealed by an older tally had
 * nothing staged: its rest is staged from its work copy first. */
static int add_sealed(store *s, const char *copy, int64_t limit, int64_t *added)
{
    char origin[STORE_ORIGIN_LEN + 1], file[65];
    int64_t events;
    *added = 0;
    if (sealed(s, origin, &events, file) != 0 || !origin[0])
        return 0;
    int64_t left = staged_count(s), mark = added_so_far(s, origin);
    if (left < 0 || mark < 0)
        return -1;
    if (left == 0 && mark < events && stage(s, copy, origin, mark) != 0) {
        char why[sizeof s->err];
        snprintf(why, sizeof why, "%s", s->err);
        return store_fail(s, _("the import being added cannot be finished: %s; put its work copy back and run 'tally import finish'"), why);
    }
    struct store_event *buf = malloc(IMPORT_BATCH * sizeof *buf);
    enum store_apply *res = malloc(IMPORT_BATCH * sizeof *res);
    int rc = buf && res ? 0 : store_fail(s, _("out of memory"));
    bool unsealed = false;
    while (rc == 0 && !unsealed && (limit == 0 || *added < limit)) {
        /* The last batch unseals in its own transaction: an import of up
         * to IMPORT_BATCH events is added in one. */
        if (tx_begin(s) != 0) {
            rc = -1;
            break;
        }
        int want = limit && limit - *added < IMPORT_BATCH ? (int)(limit - *added) : IMPORT_BATCH;
        int n = import_staged_read(s, buf, want);
        char why[256];
        if (n < 0 || (n > 0 && store_apply_events(s, buf, (size_t)n, res, why, sizeof why) != 0))
            rc = -1;
        for (int i = 0; i < n && rc == 0; i++)
            if (res[i] != STORE_APPLIED && res[i] != STORE_DUPLICATE)
                rc = store_fail(s, _("an imported event was refused: %s"), why);
        if (rc == 0 && n > 0) {
            sqlite3_stmt *st = store_sql(s, "DELETE FROM import_staged WHERE seq <= ?1");
            if (st)
                sqlite3_bind_int64(st, 1, buf[n - 1].seq);
            if (!st || sqlite3_step(st) != SQLITE_DONE)
                rc = db_fail(s);
        }
        if (rc == 0 && n < want && (rc = unseal(s, NULL)) == 0)
            unsealed = true;
        if (rc != 0) {
            tx_rollback(s);
            break;
        }
        if (tx_commit(s) != 0) {
            rc = -1;
            break;
        }
        *added += n;
        sleep_ms(IMPORT_PAUSE_MS);
    }
    free(buf);
    free(res);
    return rc;
}

static int take_lock(store *s, const char *lock)
{
    if (s->import_lock > 0)
        return 0;
    int fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
    if (fd < 0)
        return store_fail(s, _("cannot write %s: %s"), lock, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        close(fd);
        return store_fail(s, _("another import is running on this till; wait for it to finish"));
    }
    s->import_lock = fd;
    /* Adding touches pages all over the indexes (random ids): keep more of
     * them than a till's usual 32 MiB while this process imports. */
    return sql_exec(s, "PRAGMA cache_size=-262144");
}

static void let_go(store *s)
{
    if (s->import_lock > 0) {
        close(s->import_lock);
        s->import_lock = 0;
    }
}

/* What a stopped import left: a sealed one is added to the end, the work
 * of one stopped before its seal is dropped. *sealed_file: the finished
 * one's file hash ("-": from a pipe), else "". */
static int tidy(store *s, const char *copy, int64_t *added, char sealed_file[65])
{
    char origin[STORE_ORIGIN_LEN + 1], file[65];
    int64_t events;
    sealed_file[0] = '\0';
    *added = 0;
    if (sealed(s, origin, &events, file) != 0)
        return -1;
    if (origin[0]) {
        if (add_sealed(s, copy, 0, added) != 0)
            return -1;
        snprintf(sealed_file, 65, "%s", file[0] ? file : "-");
    } else if (unstage(s) != 0) {
        return -1;
    }
    store_remove_database(copy);
    return 0;
}

int import_state(store *s, struct import_state *out)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN], origin[STORE_ORIGIN_LEN + 1], file[65];
    memset(out, 0, sizeof *out);
    if (import_paths(s, copy, lock, sizeof copy) != 0 || sealed(s, origin, &out->events, file) != 0)
        return -1;
    out->sealed = origin[0] != '\0';
    if ((out->staged = staged_count(s)) < 0 || (out->sealed && (out->added = added_so_far(s, origin)) < 0))
        return -1;
    out->copy = access(copy, F_OK) == 0;
    int fd = open(lock, O_RDWR | O_CLOEXEC);
    if (fd >= 0) {
        out->running = flock(fd, LOCK_EX | LOCK_NB) != 0;
        close(fd);
    }
    return 0;
}

int store_import_finish(store *s, int64_t *added, bool *any)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN], file[65];
    *any = false;
    *added = 0;
    if (import_paths(s, copy, lock, sizeof copy) != 0 || take_lock(s, lock) != 0)
        return -1;
    int64_t left = staged_count(s);
    *any = left > 0 || access(copy, F_OK) == 0;
    int rc = left < 0 ? -1 : tidy(s, copy, added, file);
    *any |= file[0] != '\0';
    let_go(s);
    return rc;
}

int store_import_begin(store *s, const char *file_hash, char finished[65], store **work)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN], err[512];
    *work = NULL;
    finished[0] = '\0';
    if (import_paths(s, copy, lock, sizeof copy) != 0 || take_lock(s, lock) != 0)
        return -1;
    /* An import interrupted while being added is finished, the work of
     * one stopped before its seal dropped. */
    int64_t added;
    if (tidy(s, copy, &added, finished) != 0)
        return -1;
    if (finished[0] && file_hash && file_hash[0] && strcmp(finished, file_hash) == 0)
        return 0;       /* this very file: nothing more to do */
    if (store_backup(s, copy) != 0)
        return -1;
    store *w = store_open(copy, false, err, sizeof err);
    if (!w) {
        store_remove_database(copy);
        return store_fail(s, "%s", err);
    }
    /* A scratch copy: its journal in memory and no syncing. What counts
     * is staged into the ledger, whose commits are durable, before the
     * seal; a crash before the seal leaves only work to drop. */
    char id[STORE_ORIGIN_LEN + 1];
    if (import_origin_new(s, id, w->import_nonce) != 0) {
        store_close(w);
        store_remove_database(copy);
        return -1;
    }
    store_release(w);
    if (sql_exec(w, "PRAGMA journal_mode=MEMORY") != 0 || sql_exec(w, "PRAGMA synchronous=OFF") != 0 ||
        sql_exec(w, "PRAGMA cache_size=-131072") != 0 ||
        local_set(w, "origin", id, STORE_ORIGIN_LEN) != 0 || load_shop(w) != 0) {
        store_fail(s, "%s", store_error(w));
        store_close(w);
        store_remove_database(copy);
        return -1;
    }
    w->importing = true;
    snprintf(w->import_file, sizeof w->import_file, "%s", file_hash ? file_hash : "");
    *work = w;
    return 0;
}

struct seal_arg { char origin[STORE_ORIGIN_LEN + 1], events[24], file[65], nonce[2 * IMPORT_NONCE_BYTES + 1]; };

/* Step 3, one short transaction: the import is committed from here on,
 * unless a phone number of one of its customers was given to someone at
 * the counter since its rows were checked (then nothing of it counts).
 * Also where this till vouches for the import's origin (a signed event
 * of its own that binds that origin to its key, sync_support.c): the
 * other tills take the import's events as this till's word, and from no
 * other till. "imported.<origin>" remembers it made the import, for a
 * till that does not sign yet (it vouches at its first start); its value
 * is the nonce the origin was derived from, which the vouch shows. */
static int seal(store *s, void *arg)
{
    const struct seal_arg *a = arg;
    char mine[sizeof IMPORTED_PREFIX + STORE_ORIGIN_LEN];
    snprintf(mine, sizeof mine, IMPORTED_PREFIX "%s", a->origin);
    sqlite3_stmt *st = store_sql(s, "SELECT i.phone9, c.name FROM import_staged i JOIN customers c"
                              " ON c.phone <> '' AND substr(c.phone, -9) = i.phone9 AND c.forgotten = 0"
                              " WHERE i.phone9 <> '' LIMIT 1");
    if (!st)
        return -1;
    int step = sqlite3_step(st);
    if (step == SQLITE_ROW)
        return store_fail(s, _("nothing was imported: the phone number ending %s, of a customer in the file, was given to %s at the counter while the import was being done; correct the file and import it again"),
                          (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1));
    if (step != SQLITE_DONE)
        return db_fail(s);
    return local_set(s, "import.origin", a->origin, STORE_ORIGIN_LEN) != 0 ||
           local_set(s, "import.events", a->events, (int)strlen(a->events)) != 0 ||
           /* Never an empty value: SQLite hands that back as no blob. */
           local_set(s, "import.file", a->file[0] ? a->file : "-", a->file[0] ? (int)strlen(a->file) : 1) != 0 ||
           local_set(s, mine, a->nonce, (int)strlen(a->nonce)) != 0 || vouch_imports(s) != 0
           ? -1 : 0;
}

int import_seal(store *s, store *work, bool ok)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN];
    if (import_paths(s, copy, lock, sizeof copy) != 0)
        return -1;
    struct seal_arg a;
    memcpy(a.origin, work->origin, sizeof a.origin);
    snprintf(a.events, sizeof a.events, "%" PRId64, store_max_seq(work, work->origin));
    snprintf(a.file, sizeof a.file, "%s", work->import_file);
    snprintf(a.nonce, sizeof a.nonce, "%s", work->import_nonce);
    /* Closed first: it is read again, attached, to be staged. */
    store_close(work);
    int rc = 0;
    if (ok && (stage(s, copy, a.origin, 0) != 0 || store_atomically(s, seal, &a) != 0)) {
        char why[sizeof s->err];
        snprintf(why, sizeof why, "%s", s->err);
        unstage(s);
        rc = store_fail(s, "%s", why);
    }
    /* Staged (or dropped), the work copy has served. */
    store_remove_database(copy);
    return rc;
}

int import_add(store *s, int64_t limit, int64_t *added)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN];
    *added = 0;
    return import_paths(s, copy, lock, sizeof copy) != 0 ? -1 : add_sealed(s, copy, limit, added);
}

int store_import_end(store *s, store *work, bool ok, int64_t *added)
{
    *added = 0;
    if (!work && s->import_lock <= 0)
        return 0;       /* never began (another import runs): touch nothing */
    int rc = work ? import_seal(s, work, ok) : 0;
    if (rc == 0 && ok && import_add(s, 0, added) != 0)
        rc = -1;
    let_go(s);
    return rc;
}
