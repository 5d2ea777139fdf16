/* db.c - opening the ledger and the small SQLite helpers the rest of the
 * store uses (statement cache, nested transactions, the till's local
 * key/value table). The schema and its migrations are in schema.c, the
 * shop's identity in shop.c. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
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

int store_fail(store *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->err, sizeof s->err, fmt, ap);
    va_end(ap);
    return -1;
}

int db_fail(store *s)
{
    int code = sqlite3_errcode(s->db);
    if (code == SQLITE_FULL)
        return store_fail(s, _("the disk is full: nothing was saved; free some space and try again"));
    if (code == SQLITE_BUSY || code == SQLITE_LOCKED)
        return store_fail(s, _("the database is busy: nothing was saved; try again"));
    if (code == SQLITE_READONLY)
        return store_fail(s, _("the database is read-only: nothing was saved"));
    return store_fail(s, _("database error: %s"), sqlite3_errmsg(s->db));
}

const char *store_error(const store *s) { return s->err; }

const char *store_path(store *s)
{
    const char *p = sqlite3_db_filename(s->db, "main");
    return p ? p : "";
}

/* The store's statements differ in length and in their first and last
 * words; hashing those is enough to spread them, and strcmp confirms. */
static uint32_t sql_hash(const char *text)
{
    size_t n = strlen(text);
    uint32_t h = 2166136261u ^ (uint32_t)n;
    for (size_t i = 0; i < n && i < 24; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    for (size_t i = n > 24 ? n - 24 : n; i < n; i++)
        h = (h ^ (unsigned char)text[i]) * 16777619u;
    return h;
}

static void note_live(store *s, sqlite3_stmt *st)
{
    for (int i = 0; i < s->nlive; i++)
        if (s->live[i] == st)
            return;
    if (s->nlive < (int)(sizeof s->live / sizeof s->live[0]))
        s->live[s->nlive++] = st;
    else
        s->live_overflow = true;
}

/* Prepared once per process and kept: the store's SQL is a fixed set of
 * strings, so the cache never needs evicting. */
sqlite3_stmt *store_sql(store *s, const char *text)
{
    uint32_t h = sql_hash(text);
    for (int i = 0; i < STMT_CACHE; i++) {
        struct stmt_slot *slot = &s->cache[(h + (uint32_t)i) % STMT_CACHE];
        if (slot->sql && strcmp(slot->sql, text) == 0) {
            sqlite3_reset(slot->st);
            sqlite3_clear_bindings(slot->st);
            note_live(s, slot->st);
            return slot->st;
        }
        if (!slot->sql) {
            sqlite3_stmt *st;
            if (sqlite3_prepare_v3(s->db, text, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK) {
                db_fail(s);
                return NULL;
            }
            slot->sql = strdup(text);
            if (!slot->sql) {
                sqlite3_finalize(st);
                store_fail(s, _("out of memory"));
                return NULL;
            }
            slot->st = st;
            note_live(s, st);
            return st;
        }
    }
    store_fail(s, "statement cache full");
    return NULL;
}

int sql_exec(store *s, const char *text)
{
    char *msg = NULL;
    if (sqlite3_exec(s->db, text, NULL, NULL, &msg) != SQLITE_OK) {
        sqlite3_free(msg);
        return db_fail(s);
    }
    return 0;
}

/* Ends every read snapshot this connection holds. A cached SELECT that
 * was stepped but not reset keeps its snapshot open: the WAL can then never
 * be checkpointed (it grows without bound), a long-running process keeps
 * seeing old data, and a write on top of an old snapshot fails with
 * SQLITE_BUSY at once instead of waiting on the busy timeout. */
/* Resets every statement stepped since the last reset, so none of them
 * holds a read snapshot. */
static void reset_live(store *s)
{
    if (s->live_overflow) {
        for (sqlite3_stmt *st = sqlite3_next_stmt(s->db, NULL); st; st = sqlite3_next_stmt(s->db, st))
            if (sqlite3_stmt_busy(st))
                sqlite3_reset(st);
    } else {
        for (int i = 0; i < s->nlive; i++)
            sqlite3_reset(s->live[i]);
    }
    s->nlive = 0;
    s->live_overflow = false;
}

void store_release(store *s)
{
    if (s->tx_depth == 0)
        reset_live(s);
}

int64_t store_data_version(store *s)
{
    sqlite3_stmt *st = store_sql(s, "PRAGMA data_version");
    int64_t v = st && sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
    if (st)
        sqlite3_reset(st);
    return v;
}

static int step_once(store *s, const char *text)
{
    sqlite3_stmt *st = store_sql(s, text);
    if (!st)
        return -1;
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

/* Nesting: the outermost level is BEGIN IMMEDIATE (so two writers queue on
 * the busy timeout instead of deadlocking on a read-to-write upgrade);
 * inner levels are savepoints, so a failed inner step undoes only itself. */
int tx_begin(store *s)
{
    store_release(s);
    /* A savepoint may be rolled back alone: what the rollups hold in
     * memory so far belongs to the level around it, so write it first. */
    if (s->tx_depth > 0 && rollup_flush(s) != 0)
        return -1;
    if (step_once(s, s->tx_depth == 0 ? "BEGIN IMMEDIATE" : "SAVEPOINT inner") != 0)
        return -1;
    if (s->tx_depth++ == 0) {
        /* What an earlier transaction cached (the settings, the tier
         * windows) holds unless another connection (syncd, the CLI) has
         * committed since: an earn reads two dozen settings and a year of
         * the customer's events, and reading them again each time cost
         * the counter more with every trigger that is set. */
        int64_t v = store_data_version(s);
        if (v < 0 || v != s->data_version_seen) {
            settings_changed(s);
            if (!s->importing)
                tier_cache_drop(s);
        }
        s->data_version_seen = v;
        /* syncd may have moved this till to a new origin after finding it
         * was restored from an old backup: never write under the old one. */
        char origin[STORE_ORIGIN_LEN + 1] = "";
        if (local_get(s, "origin", origin, STORE_ORIGIN_LEN) == STORE_ORIGIN_LEN)
            memcpy(s->origin, origin, STORE_ORIGIN_LEN);
    }
    return 0;
}

int tx_commit(store *s)
{
    if (s->tx_depth == 1) {
        /* Before COMMIT, not after: a statement still open keeps the read
         * snapshot taken at BEGIN, and the checkpoint that runs inside
         * COMMIT then cannot copy this transaction's pages back, so the
         * -wal file never restarts and grows by every commit (hundreds of
         * MB while a till catches up). */
        if (rollup_flush(s) != 0) {
            tx_rollback(s);
            return -1;
        }
        reset_live(s);
        if (step_once(s, "COMMIT") != 0) {
            tx_rollback(s);
            return -1;
        }
        s->tx_depth = 0;
        store_release(s);
        return 0;
    }
    s->tx_depth--;
    return step_once(s, "RELEASE inner");
}

void tx_rollback(store *s)
{
    char keep[sizeof s->err];
    memcpy(keep, s->err, sizeof keep);
    rollup_drop(s);
    expiry_cache_drop(s);   /* it may rest on what is undone */
    settings_changed(s);    /* likewise */
    tier_cache_drop(s);
    messages_held_drop(s);
    if (s->tx_depth == 1)
        sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
    else if (s->tx_depth > 1)
        sqlite3_exec(s->db, "ROLLBACK TO inner; RELEASE inner", NULL, NULL, NULL);
    if (s->tx_depth > 0)
        s->tx_depth--;
    store_release(s);
    memcpy(s->err, keep, sizeof keep);
}

int store_begin(store *s) { return tx_begin(s); }
int store_commit(store *s) { return tx_commit(s); }
void store_rollback(store *s) { tx_rollback(s); }

int store_atomically(store *s, int (*fn)(store *, void *), void *arg)
{
    IN_TX(fn(s, arg));
}

void bind_text(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v ? v : "", -1, SQLITE_TRANSIENT);
}

int sql_row(store *s, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        return 1;
    return rc == SQLITE_DONE ? 0 : db_fail(s);
}

sqlite3_stmt *sql_keyed(store *s, const char *text, const char *key)
{
    sqlite3_stmt *st = store_sql(s, text);
    if (st)
        bind_text(st, 1, key);
    return st;
}

sqlite3_stmt *sql_event(store *s, const char *text, const char *origin, int64_t seq)
{
    sqlite3_stmt *st = store_sql(s, text);
    if (st) {
        bind_text(st, 1, origin);
        sqlite3_bind_int64(st, 2, seq);
    }
    return st;
}

void bind_kept(sqlite3_stmt *st, int i, const char *v)
{
    sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

/* The length SQLite has, not strnlen's: the member reports copy two
 * columns of each of a million rows and more. (A value with a NUL in it
 * reads as before, up to the NUL.) */
void copy_col(sqlite3_stmt *st, int col, char *out, size_t outsz)
{
    const char *v = (const char *)sqlite3_column_text(st, col);
    size_t n = v ? (size_t)sqlite3_column_bytes(st, col) : 0;
    if (n > outsz - 1)
        n = outsz - 1;
    memcpy(out, v ? v : "", n);
    out[n] = '\0';
}

int local_get(store *s, const char *key, void *out, int outsz)
{
    sqlite3_stmt *st = sql_keyed(s, "SELECT value FROM local WHERE key = ?1", key);
    if (!st)
        return -1;
    if (sqlite3_step(st) != SQLITE_ROW)
        return -1;
    int n = sqlite3_column_bytes(st, 0);
    if (n > outsz)
        return -1;
    memcpy(out, sqlite3_column_blob(st, 0), (size_t)n);
    return n;
}

int local_set(store *s, const char *key, const void *val, int len)
{
    sqlite3_stmt *st = store_sql(s, "INSERT OR REPLACE INTO local(key, value) VALUES(?1, ?2)");
    if (!st)
        return -1;
    bind_text(st, 1, key);
    sqlite3_bind_blob(st, 2, val, len, SQLITE_TRANSIENT);
    return sqlite3_step(st) == SQLITE_DONE ? 0 : db_fail(s);
}

void random_id(char *out, size_t chars)
{
    static const char hex[] = "0123456789abcdef";
    unsigned char raw[32];
    randombytes_buf(raw, sizeof raw);
    for (size_t i = 0; i < chars && i < 64; i++)
        out[i] = hex[(raw[i / 2] >> ((i % 2) * 4)) & 15];
    out[chars] = '\0';
}

int64_t store_now(store *s)
{
    return s->clock_ms ? s->clock_ms : clock_ms(CLOCK_REALTIME);
}

void store_set_clock(store *s, int64_t now_ms) { s->clock_ms = now_ms; }

/* SQL function tally_fold(text): the accent- and case-insensitive search key. */
void sql_fold(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const char *in = (const char *)sqlite3_value_text(argv[0]);
    char out[STORE_TEXT_MAX * 8];
    if (!in || text_fold(in, out, sizeof out) != 0)
        sqlite3_result_text(ctx, "", 0, SQLITE_STATIC);
    else
        sqlite3_result_text(ctx, out, -1, SQLITE_TRANSIENT);
}

int store_default_path(const char *explicit_path, char *out, size_t outsz)
{
    const char *env = getenv("TALLY_DB");
    int n;
    if (explicit_path && *explicit_path)
        n = snprintf(out, outsz, "%s", explicit_path);
    else if (env && *env)
        n = snprintf(out, outsz, "%s", env);
    else {
        const char *xdg = getenv("XDG_DATA_HOME");
        const char *home = getenv("HOME");
        if (xdg && *xdg)
            n = snprintf(out, outsz, "%s/tally/tally.db", xdg);
        else if (home && *home)
            n = snprintf(out, outsz, "%s/.local/share/tally/tally.db", home);
        else
            return -1;
    }
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

static int make_parent_dir(const char *path)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return 0;
    *slash = '\0';
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(dir, 0700) != 0 && errno != EEXIST ? -1 : 0;
}

/* SQLite keeps memory statistics under a process-wide mutex taken on
 * every allocation. This can only be switched off before SQLite starts
 * (else it is SQLITE_MISUSE and nothing changes), so it is done before
 * the first store opens. */
static void no_memory_statistics(void)
{
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
}

/* Waiting for another process's write lock: look again every
 * millisecond, for up to BUSY_WAIT_MS. SQLite's own busy timeout sleeps
 * longer and longer between looks (up to 100 ms), so a kiosk's sale could
 * miss every short gap between syncd's catch-up transactions and wait
 * seconds; syncd leaves such a gap (sync_io.yield). */
#define BUSY_WAIT_MS 10000
static int busy_wait(void *arg, int tries)
{
    (void)arg;
    if (tries >= BUSY_WAIT_MS)
        return 0;
    sleep_ms(1);
    return 1;
}

/* A database this process may not write (a read-only file or disk): open
 * it for reading, so that check, events and the reports still work and
 * only a write is refused. In WAL mode a reader needs the -shm file; in a
 * folder it cannot write and with no -wal left (nothing unfinished), the
 * file is all there is and is read as it stands (immutable). */
static int open_readonly(store *s, const char *path)
{
    sqlite3_close(s->db);
    s->db = NULL;
    int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL);
    if (rc == SQLITE_OK)
        rc = sqlite3_exec(s->db, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
    char wal[4200];
    struct stat sb;
    snprintf(wal, sizeof wal, "%s-wal", path);
    if (rc == SQLITE_OK || (stat(wal, &sb) == 0 && sb.st_size > 0))
        return rc == SQLITE_OK ? 0 : -1;
    char uri[13000] = "file:";
    size_t n = strlen(uri);
    for (const unsigned char *p = (const unsigned char *)path; *p && n + 4 < sizeof uri - 16; p++)
        n += (size_t)(strchr("?#%", *p) || *p < 33 || *p > 126
                      ? snprintf(uri + n, sizeof uri - n, "%%%02X", *p)
                      : snprintf(uri + n, sizeof uri - n, "%c", *p));
    snprintf(uri + n, sizeof uri - n, "?immutable=1");
    sqlite3_close(s->db);
    s->db = NULL;
    rc = sqlite3_open_v2(uri, &s->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_URI, NULL);
    return rc == SQLITE_OK ? 0 : -1;
}

store *store_open(const char *path, bool create, char *err, size_t errsz)
{
    store *s = calloc(1, sizeof *s);
    if (!s || sodium_init() < 0) {
        snprintf(err, errsz, "%s", _("out of memory"));
        free(s);
        return NULL;
    }
    struct stat sb;
    bool exists = stat(path, &sb) == 0;
    if (!exists && !create) {
        snprintf(err, errsz, _("no tally database at %s: run 'tally init' first, or give --db"), path);
        free(s);
        return NULL;
    }
    if (!exists) {
        /* Create the file ourselves so it is 0600 from its first byte. */
        if (make_parent_dir(path) != 0) {
            snprintf(err, errsz, _("cannot create the folder for %s: %s"), path, strerror(errno));
            free(s);
            return NULL;
        }
        int fd = open(path, O_CREAT | O_EXCL | O_WRONLY, 0600);
        if (fd < 0) {
            snprintf(err, errsz, _("cannot create %s: %s"), path, strerror(errno));
            free(s);
            return NULL;
        }
        close(fd);
    }
    /* The -wal and -shm files SQLite makes follow the database's mode only
     * within the umask, so keep the umask tight. */
    umask(077);
    /* No locking SQLite does not need: a store is one thread's (store.h),
     * and tally never asks SQLite how much memory it holds. Together they
     * take a fifth off applying a batch of events (bench_sync). */
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, no_memory_statistics);
    if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
        (sqlite3_db_readonly(s->db, "main") == 1 && open_readonly(s, path) != 0)) {
        snprintf(err, errsz, _("cannot open %s: %s"), path, s->db ? sqlite3_errmsg(s->db) : "");
        store_close(s);
        return NULL;
    }
    bool readonly = sqlite3_db_readonly(s->db, "main") == 1;
    sqlite3_extended_result_codes(s->db, 0);
    sqlite3_busy_handler(s->db, busy_wait, NULL);
    /* WAL lets the kiosk, syncd and a manager's report work at once.
     * synchronous=FULL syncs the WAL on every commit: a committed event
     * survives a power cut (NORMAL would only survive a crash). A
     * database this process may only read is in WAL mode already (or
     * nobody writes it); setting the mode would be a write. */
    if ((!readonly && sql_exec(s, "PRAGMA journal_mode=WAL") != 0) ||
        sql_exec(s, "PRAGMA synchronous=FULL") != 0 ||
        /* Statement and savepoint journals in memory, not temp files: they
         * are only ever needed to undo part of the open transaction. */
        sql_exec(s, "PRAGMA temp_store=MEMORY") != 0 ||
        /* 32 MiB of page cache (SQLite's default is 2): a batch from
         * another till touches many index pages, and pages spilled or
         * re-read mid-transaction cost more than the memory. */
        sql_exec(s, STORE_CACHE_SIZE) != 0 ||
        /* Checkpoint when the -wal holds 32 MiB rather than 4: a page
         * changed by several commits in between is copied back once, which
         * makes a till catching up a quarter faster. journal_size_limit
         * trims the file back after a burst. */
        sql_exec(s, "PRAGMA wal_autocheckpoint=8192") != 0 ||
        sql_exec(s, "PRAGMA journal_size_limit=67108864") != 0 ||
        sql_exec(s, "PRAGMA foreign_keys=OFF") != 0 ||
        sqlite3_create_function(s->db, "tally_fold", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC,
                                NULL, sql_fold, NULL, NULL) != SQLITE_OK ||
        schema_migrate(s) != 0) {
        snprintf(err, errsz, _("cannot open %s: %s"), path, s->err);
        store_close(s);
        return NULL;
    }
    load_shop(s);
    return s;
}

void store_close(store *s)
{
    if (!s)
        return;
    for (int i = 0; i < STMT_CACHE; i++) {
        if (s->cache[i].sql) {
            sqlite3_finalize(s->cache[i].st);
            free(s->cache[i].sql);
        }
    }
    sqlite3_close(s->db);
    free(s->bal);
    free(s->mon);   /* roll_balance deltas (rollup.c) */
    free(s->tier_cache);    /* an import's work copy (program.c) */
    free(s->held);
    free(s->expiry_cache);  /* and its (ledger.c) */
    free(s);
}
