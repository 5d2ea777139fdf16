/* bench.h - what every benchmark needs: a monotonic clock, a private temp
 * directory removed on exit or failure, and medians. Header-only, since
 * each bench_*.c builds into its own program. */
#ifndef TALLY_BENCH_H
#define TALLY_BENCH_H

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "store/store.h"

/* The events table and its indexes exactly as store/schema.c has them, for
 * the raw side of every benchmark (IF NOT EXISTS: a raw file may be
 * opened twice). */
#define BENCH_EVENTS_SCHEMA \
    "CREATE TABLE IF NOT EXISTS events(" \
    " origin TEXT NOT NULL, seq INTEGER NOT NULL," \
    " hlc INTEGER NOT NULL, wall INTEGER NOT NULL, type TEXT NOT NULL," \
    " staff TEXT NOT NULL, customer TEXT NOT NULL," \
    " points INTEGER NOT NULL, stamps INTEGER NOT NULL, credit INTEGER NOT NULL," \
    " spend INTEGER NOT NULL, visits INTEGER NOT NULL," \
    " ref_origin TEXT NOT NULL, ref_seq INTEGER NOT NULL," \
    " occasion TEXT NOT NULL, reason TEXT NOT NULL," \
    " data TEXT NOT NULL, pii TEXT NOT NULL, pii_hash BLOB NOT NULL," \
    " hash BLOB NOT NULL, PRIMARY KEY(origin, seq)) WITHOUT ROWID;" \
    "CREATE INDEX IF NOT EXISTS events_customer ON events(customer, wall);" \
    "CREATE INDEX IF NOT EXISTS events_ref ON events(ref_origin, ref_seq) WHERE ref_origin <> '';" \
    "CREATE INDEX IF NOT EXISTS events_wall ON events(wall);" \
    "CREATE INDEX IF NOT EXISTS events_hlc ON events(hlc);"
#define BENCH_EVENT_INSERT \
    "INSERT INTO events(origin, seq, hlc, wall, type, staff, customer, points, stamps," \
    " credit, spend, visits, ref_origin, ref_seq, occasion, reason, data, pii, pii_hash, hash)" \
    " VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20)"

/* Binds an event to BENCH_EVENT_INSERT; e must outlive the step. */
static inline void bench_bind_event(sqlite3_stmt *st, const struct store_event *e)
{
    sqlite3_bind_text(st, 1, e->origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 2, e->seq);
    sqlite3_bind_int64(st, 3, e->hlc);
    sqlite3_bind_int64(st, 4, e->wall);
    sqlite3_bind_text(st, 5, e->type, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 6, e->staff, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 7, e->customer, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 8, e->points);
    sqlite3_bind_int64(st, 9, e->stamps);
    sqlite3_bind_int64(st, 10, e->credit);
    sqlite3_bind_int64(st, 11, e->spend);
    sqlite3_bind_int64(st, 12, e->visits);
    sqlite3_bind_text(st, 13, e->ref_origin, -1, SQLITE_STATIC);
    sqlite3_bind_int64(st, 14, e->ref_seq);
    sqlite3_bind_text(st, 15, e->occasion, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 16, e->reason, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 17, e->data, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 18, e->pii, -1, SQLITE_STATIC);
    sqlite3_bind_blob(st, 19, e->pii_hash, 32, SQLITE_STATIC);
    sqlite3_bind_blob(st, 20, e->hash, 32, SQLITE_STATIC);
}

/* The raw side of every benchmark runs SQLite as the store does
 * (store/db.c store_open): same journal, sync, temp store and cache. */
#define BENCH_RAW_PRAGMAS \
    "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA temp_store=MEMORY;" \
    " PRAGMA cache_size=-32768; PRAGMA wal_autocheckpoint=8192; PRAGMA journal_size_limit=67108864;"

static char bench_dir[4096];
static const char *bench_name = "bench";

static inline double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline void bench_cleanup(void)
{
    if (!bench_dir[0])
        return;
    DIR *d = opendir(bench_dir);
    if (d) {
        struct dirent *e;
        char path[8192];
        while ((e = readdir(d)) != NULL) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            snprintf(path, sizeof path, "%s/%s", bench_dir, e->d_name);
            unlink(path);
        }
        closedir(d);
    }
    rmdir(bench_dir);
    bench_dir[0] = '\0';
}

static inline void die(const char *what, const char *why)
{
    fprintf(stderr, "%s: %s: %s\n", bench_name, what, why ? why : "");
    bench_cleanup();
    exit(1);
}

/* The raw side's SQLite calls: any result but the one wanted ends the run. */
static inline void raw_check(sqlite3 *db, int rc, int want, const char *what)
{
    if (rc != want)
        die(what, sqlite3_errmsg(db));
}

static inline void raw_prepare(sqlite3 *db, sqlite3_stmt **st, const char *text)
{
    raw_check(db, sqlite3_prepare_v3(db, text, -1, SQLITE_PREPARE_PERSISTENT, st, NULL), SQLITE_OK, "raw prepare");
}

static inline void raw_step(sqlite3 *db, sqlite3_stmt *st, const char *what)
{
    raw_check(db, sqlite3_step(st), SQLITE_DONE, what);
    sqlite3_reset(st);
}

/* A raw file with the store's pragmas and the given schema. */
static inline sqlite3 *raw_open(const char *path, const char *schema)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(path, &db) != SQLITE_OK)
        die("raw open", db ? sqlite3_errmsg(db) : path);
    raw_check(db, sqlite3_exec(db, BENCH_RAW_PRAGMAS, NULL, NULL, NULL), SQLITE_OK, "raw pragmas");
    raw_check(db, sqlite3_exec(db, schema, NULL, NULL, NULL), SQLITE_OK, "raw schema");
    return db;
}

/* A fresh directory under $TMPDIR (or /tmp) for this run's databases. */
static inline const char *bench_tmpdir(const char *name)
{
    const char *base = getenv("TMPDIR");
    bench_name = name;
    snprintf(bench_dir, sizeof bench_dir, "%s/tally-%s-XXXXXX", base && *base ? base : "/tmp", name);
    if (!mkdtemp(bench_dir)) {
        bench_dir[0] = '\0';
        die("mkdtemp", strerror(errno));
    }
    return bench_dir;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif
