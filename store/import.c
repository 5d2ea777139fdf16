/* import.c - 'tally import' of a whole file, all or nothing, without
 * keeping the counter waiting.
 *
 * A file of 100,000 customers or a million purchases is minutes of work.
 * Done in the till's ledger as one transaction it would hold the write
 * lock all along (a sale at the kiosk gives up after 10 s); done in many,
 * a bad row near the end or a kill would leave half of it behind. So an
 * import happens in three steps:
 *
 *  1. Work, on a copy. The ledger is copied to DB.import (SQLite's online
 *     backup: a read, which no writer waits for) and every row is done
 *     there by the ordinary store calls, in one transaction, as if by a
 *     till of its own: the copy writes under a new origin, the import's
 *     id. Nothing the ledger holds changes. A bad row, an error or a kill
 *     leaves a copy that nobody reads and the next import removes.
 *  2. Seal. One short transaction records the import's id, its number of
 *     events and which file it was (local keys import.*): from then on the
 *     import is committed, and will be added whole.
 *  3. Add. Its events come into the ledger as another till's do when it
 *     catches up (store_apply_events: same validation, same derivation),
 *     IMPORT_BATCH to a transaction with a pause after each, so a sale
 *     waits for one of them at most. Until the last is in, the import's
 *     origin is left out of the version vector, of what sync serves and
 *     of 'tally events' (import_hidden), so other tills get it whole once
 *     it is all here; an interrupted addition (a kill, a power cut) is
 *     finished from the copy by the next 'tally import', where the version
 *     vector's mark for the import's origin says how far it got.
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
    sqlite3_stmt *st = sql(s, "SELECT seq FROM vv WHERE origin = ?1");
    if (!st)
        return -1;
    bind_text(st, 1, origin);
    int64_t n = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
    store_release(s);
    return n;
}

static int unseal(store *s, void *arg)
{
    (void)arg;
    sqlite3_stmt *st = sql(s, "DELETE FROM local WHERE key IN ('import.origin', 'import.events', 'import.file')");
    return st && sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

/* Step 3: adds the sealed import's events from the copy, from where the
 * ledger's mark says it stopped, then unseals (the import shows). */
static int add_sealed(store *s, const char *copy, int64_t *added)
{
    char origin[STORE_ORIGIN_LEN + 1], file[65], err[512];
    int64_t events;
    *added = 0;
    if (sealed(s, origin, &events, file) != 0 || !origin[0])
        return 0;
    store *work = store_open(copy, false, err, sizeof err);
    if (!work)
        return store_fail(s, _("an import interrupted while it was being added cannot be finished: its work file does not open (%s); put the file back and run the import again"), err);
    struct store_event *buf = malloc(IMPORT_BATCH * sizeof *buf);
    enum store_apply *res = malloc(IMPORT_BATCH * sizeof *res);
    int rc = buf && res ? 0 : store_fail(s, _("out of memory"));
    int64_t mark = added_so_far(s, origin);
    bool unsealed = false;
    if (mark < 0)
        rc = -1;
    while (rc == 0 && mark < events) {
        int n = store_read_events(work, origin, mark, buf, IMPORT_BATCH);
        store_release(work);
        char why[256];
        if (n <= 0) {
            rc = store_fail(s, _("an import interrupted while it was being added cannot be finished: its work file %s ends early"), copy);
            break;
        }
        /* The last batch unseals in its own transaction: an import of up
         * to IMPORT_BATCH events is added in one. */
        if (tx_begin(s) != 0) {
            rc = -1;
            break;
        }
        if (store_apply_events(s, buf, (size_t)n, res, why, sizeof why) != 0)
            rc = -1;
        for (int i = 0; i < n && rc == 0; i++)
            if (res[i] != STORE_APPLIED && res[i] != STORE_DUPLICATE)
                rc = store_fail(s, _("an imported event was refused: %s"), why);
        if (rc == 0 && mark + n >= events && (rc = unseal(s, NULL)) == 0)
            unsealed = true;
        if (rc != 0) {
            tx_rollback(s);
            break;
        }
        if (tx_commit(s) != 0) {
            rc = -1;
            break;
        }
        mark += n;
        *added += n;
        sleep_ms(IMPORT_PAUSE_MS);
    }
    free(buf);
    free(res);
    store_close(work);
    if (rc == 0 && !unsealed && store_atomically(s, unseal, NULL) != 0)
        rc = -1;
    return rc;
}

int store_import_begin(store *s, const char *file_hash, char finished[65], store **work)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN], err[512];
    *work = NULL;
    finished[0] = '\0';
    if (import_paths(s, copy, lock, sizeof copy) != 0)
        return -1;
    if (s->import_lock <= 0) {
        int fd = open(lock, O_CREAT | O_RDWR | O_CLOEXEC, 0600);
        if (fd < 0)
            return store_fail(s, _("cannot write %s: %s"), lock, strerror(errno));
        if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
            close(fd);
            return store_fail(s, _("another import is running on this till; wait for it to finish"));
        }
        s->import_lock = fd;
    }
    /* Adding touches pages all over the indexes (random ids): keep more of
     * them than a till's usual 32 MiB while this process imports. */
    if (sql_exec(s, "PRAGMA cache_size=-262144") != 0)
        return -1;
    /* An import sealed but interrupted while being added: finish it. */
    char origin[STORE_ORIGIN_LEN + 1], file[65];
    int64_t events, added;
    if (sealed(s, origin, &events, file) != 0)
        return -1;
    if (origin[0]) {
        if (add_sealed(s, copy, &added) != 0)
            return -1;
        snprintf(finished, 65, "%s", file[0] ? file : "-");   /* "-": from a pipe */
        if (file_hash && file_hash[0] && strcmp(file, file_hash) == 0) {
            store_remove_database(copy);
            return 0;       /* this very file: nothing more to do */
        }
    }
    /* What a killed import left (never sealed) is nobody's: start afresh. */
    store_remove_database(copy);
    if (store_backup(s, copy) != 0)
        return -1;
    store *w = store_open(copy, false, err, sizeof err);
    if (!w) {
        store_remove_database(copy);
        return store_fail(s, "%s", err);
    }
    /* A scratch copy: its journal in memory and no syncing until its one
     * commit (store_import_end makes that durable before sealing). */
    char id[STORE_ORIGIN_LEN + 1];
    store_random_origin(id);
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

struct seal_arg { char origin[STORE_ORIGIN_LEN + 1], events[24], file[65]; };

/* Also where this till vouches for the import's origin (a signed event
 * of its own that binds that origin to its key, sync_support.c): the
 * other tills take the import's events as this till's word, and from no
 * other till. "imported.<origin>" remembers it made the import, for a
 * till that has no signing key yet (it vouches at its first start). */
static int seal(store *s, void *arg)
{
    const struct seal_arg *a = arg;
    char mine[sizeof IMPORTED_PREFIX + STORE_ORIGIN_LEN];
    snprintf(mine, sizeof mine, IMPORTED_PREFIX "%s", a->origin);
    return local_set(s, "import.origin", a->origin, STORE_ORIGIN_LEN) != 0 ||
           local_set(s, "import.events", a->events, (int)strlen(a->events)) != 0 ||
           /* Never an empty value: SQLite hands that back as no blob. */
           local_set(s, "import.file", a->file[0] ? a->file : "-", a->file[0] ? (int)strlen(a->file) : 1) != 0 ||
           local_set(s, mine, "1", 1) != 0 || vouch_imports(s) != 0
           ? -1 : 0;
}

/* The copy was written without syncing: sync it once, before the ledger
 * points at it. */
static int fsync_path(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    close(fd);
    return rc;
}

int store_import_end(store *s, store *work, bool ok, int64_t *added)
{
    char copy[PATH_MAX_LEN], lock[PATH_MAX_LEN];
    *added = 0;
    if (!work && s->import_lock <= 0)
        return 0;       /* never began (another import runs): touch nothing */
    if (import_paths(s, copy, lock, sizeof copy) != 0)
        return -1;
    int rc = 0;
    bool wanted = ok;
    if (work) {
        char max_seq[24];
        snprintf(max_seq, sizeof max_seq, "%" PRId64, store_max_seq(work, work->origin));
        /* Closed first: a descriptor of ours closed on a file SQLite has
         * open would drop its locks. */
        struct seal_arg a;
        memcpy(a.origin, work->origin, sizeof a.origin);
        snprintf(a.events, sizeof a.events, "%s", max_seq);
        snprintf(a.file, sizeof a.file, "%s", work->import_file);
        store_close(work);
        if (ok && fsync_path(copy) != 0) {
            store_fail(s, _("cannot write %s: %s"), copy, strerror(errno));
            ok = false;
        }
        if (ok && store_atomically(s, seal, &a) != 0)
            ok = false;
        rc = ok || !wanted ? 0 : -1;
    }
    if (ok && add_sealed(s, copy, added) != 0)
        rc = -1;
    /* The copy is kept only while a sealed import still needs it. */
    char origin[STORE_ORIGIN_LEN + 1], file[65];
    int64_t events;
    if (sealed(s, origin, &events, file) == 0 && !origin[0])
        store_remove_database(copy);
    if (s->import_lock > 0) {
        close(s->import_lock);
        s->import_lock = 0;
    }
    return rc;
}
