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
