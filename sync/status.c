/* status.c - the status file syncd rewrites every second beside the
 * database ("<db>-sync.status"), read by 'tally sync status' and by the
 * kiosk's idle line. One record per line, fields separated by tabs:
 *
 *   tally-sync-status 1
 *   pid N | updated MS | origin O | address A | applied N | strangers N
 *   peer ORIGIN CONNECTED LAST_HEARD THEY_LACK WE_LACK R0..R4 ADDRESS NAME LAST_REFUSAL
 *   waiting ORIGIN LACKING      (events of ORIGIN no till's key covers here)
 *
 * It is replaced atomically (write, then rename), so a reader never sees
 * half of it. */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "sync/internal.h"
#include "util/util.h"

#define HEADER "tally-sync-status 1"
#define FRESH_MS 5000

int sync_status_path(const char *db_path, char *out, size_t outsz)
{
    int n = snprintf(out, outsz, "%s-sync.status", db_path);
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

/* Tabs and line ends would break the format. */
static void clean(char *dst, size_t sz, const char *src)
{
    size_t i = 0;
    for (; src[i] && i + 1 < sz; i++)
        dst[i] = src[i] == '\t' || src[i] == '\n' || src[i] == '\r' ? ' ' : src[i];
    dst[i] = '\0';
}

int sync_status_write(const char *db_path, const struct sync_status *st)
{
    char path[4200], tmp[4300];
    if (sync_status_path(db_path, path, sizeof path) != 0)
        return -1;
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    fprintf(f, HEADER "\npid\t%d\nupdated\t%" PRId64 "\norigin\t%s\naddress\t%s\napplied\t%" PRIu64
            "\nstrangers\t%" PRIu64 "\n", st->pid, st->updated, st->origin, st->address, st->applied,
            st->strangers);
    for (int i = 0; i < st->npeers; i++) {
        const struct sync_peer_status *p = &st->peers[i];
        char name[sizeof p->name], why[sizeof p->last_refusal], addr[sizeof p->address];
        clean(name, sizeof name, p->name);
        clean(why, sizeof why, p->last_refusal);
        clean(addr, sizeof addr, p->address);
        fprintf(f, "peer\t%s\t%d\t%" PRId64 "\t%" PRId64 "\t%" PRId64, p->origin[0] ? p->origin : "-",
                p->connected, p->last_heard, p->they_lack, p->we_lack);
        for (int r = 0; r < SYNC_REFUSED_NREASONS; r++)
            fprintf(f, "\t%" PRIu64, p->refused[r]);
        fprintf(f, "\t%s\t%s\t%s\n", addr, name, why);
    }
    for (int i = 0; i < st->nwaiting; i++)
        fprintf(f, "waiting\t%s\t%" PRId64 "\n", st->waiting[i].origin, st->waiting[i].lacking);
    bool ok = fflush(f) == 0 && ferror(f) == 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

/* Splits line at tabs in place; empty fields are kept. */
static int split(char *line, char **f, int max)
{
    int n = 0;
    line[strcspn(line, "\n")] = '\0';
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t)
            break;
        *t = '\0';
        p = t + 1;
    }
    return n;
}

int sync_status_read(const char *db_path, struct sync_status *st)
{
    memset(st, 0, sizeof *st);
    char path[4200], line[2048];
    if (sync_status_path(db_path, path, sizeof path) != 0)
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : -1;
    if (!fgets(line, sizeof line, f) || strncmp(line, HEADER, strlen(HEADER)) != 0) {
        fclose(f);
        return -1;
    }
    while (fgets(line, sizeof line, f)) {
        char *v[16];
        int n = split(line, v, 16);
        if (n == 2 && strcmp(v[0], "pid") == 0)
            st->pid = atoi(v[1]);
        else if (n == 2 && strcmp(v[0], "updated") == 0)
            st->updated = strtoll(v[1], NULL, 10);
        else if (n == 2 && strcmp(v[0], "origin") == 0)
            snprintf(st->origin, sizeof st->origin, "%s", v[1]);
        else if (n == 2 && strcmp(v[0], "address") == 0)
            snprintf(st->address, sizeof st->address, "%.*s", (int)sizeof st->address - 1, v[1]);
        else if (n == 2 && strcmp(v[0], "applied") == 0)
            st->applied = strtoull(v[1], NULL, 10);
        else if (n == 2 && strcmp(v[0], "strangers") == 0)
            st->strangers = strtoull(v[1], NULL, 10);
        else if (n == 3 && strcmp(v[0], "waiting") == 0 && st->nwaiting < SYNC_WAITING_SHOWN) {
            snprintf(st->waiting[st->nwaiting].origin, sizeof st->waiting[0].origin, "%s", v[1]);
            st->waiting[st->nwaiting++].lacking = strtoll(v[2], NULL, 10);
        } else if (n == 9 + SYNC_REFUSED_NREASONS && strcmp(v[0], "peer") == 0 && st->npeers < SYNC_PEERS_MAX) {
            struct sync_peer_status *p = &st->peers[st->npeers++];
            snprintf(p->origin, sizeof p->origin, "%s", strcmp(v[1], "-") ? v[1] : "");
            p->connected = atoi(v[2]) != 0;
            p->last_heard = strtoll(v[3], NULL, 10);
            p->they_lack = strtoll(v[4], NULL, 10);
            p->we_lack = strtoll(v[5], NULL, 10);
            for (int r = 0; r < SYNC_REFUSED_NREASONS; r++)
                p->refused[r] = strtoull(v[6 + r], NULL, 10);
            snprintf(p->address, sizeof p->address, "%.*s", (int)sizeof p->address - 1, v[6 + SYNC_REFUSED_NREASONS]);
            snprintf(p->name, sizeof p->name, "%.*s", (int)sizeof p->name - 1, v[7 + SYNC_REFUSED_NREASONS]);
            snprintf(p->last_refusal, sizeof p->last_refusal, "%.*s", (int)sizeof p->last_refusal - 1,
                     v[8 + SYNC_REFUSED_NREASONS]);
        }
    }
    fclose(f);
    int64_t now = clock_ms(CLOCK_REALTIME);
    st->running = st->pid > 0 && now - st->updated < FRESH_MS && (kill(st->pid, 0) == 0 || errno == EPERM);
    return 0;
}
