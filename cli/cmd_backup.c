/* cmd_backup.c - tally backup, restore and check. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "util/util.h"

static volatile sig_atomic_t stopping;
static void on_signal(int sig) { (void)sig; stopping = 1; }

/* "30m", "1h", "1d", "90s" → seconds. */
static int parse_interval(const char *t, long *secs)
{
    char *end;
    long v = strtol(t, &end, 10);
    long unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    if (end == t || v <= 0 || !unit || end[1] || v > 366L * 86400 / unit)
        return -1;
    *secs = v * unit;
    return 0;
}

/* --every into a->number[0] (seconds), --keep into a->number[1]. */
static int backup_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *every = cmd_opt(a, "every"), *keep = cmd_opt(a, "keep");
    long secs = 0;
    a->number[1] = 48;
    if (every && parse_interval(every, &secs) != 0)
        return cli_fail(_("--every takes an interval like 30m, 1h or 1d")), 2;
    if (keep && decimal_parse(keep, 0, 1, 100000, &a->number[1]) != 0)
        return cli_fail(_("--keep takes a whole number of backups, at least 1")), 2;
    a->number[0] = secs;
    return 0;
}

static int backup(struct cli *c, struct cmd_args *a)
{
    const char **pos = a->pos;
    bool every = cmd_flag(a, "every");
    long secs = (long)a->number[0];
    int64_t keep = a->number[1];
    if (!every) {
        if (store_backup(c->s, pos[0]) != 0)
            return cli_store_fail(c);
        if (!c->json) {
            int64_t events = store_event_count(c->s);
            printf(ngettext("Backed up %" PRId64 " event to %s.\n", "Backed up %" PRId64 " events to %s.\n", i18n_n(events)),
                   events, pos[0]);
        }
        return 0;
    }
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    while (!stopping) {
        char written[4300];
        /* Fold the report rollups' log first, in short transactions
         * (a shop without syncd has nothing else doing it), resting
         * after each as long as it held the write lock: back to back,
         * a kiosk's sale on the same file waited longer (its commit and
         * fsync among the folds' checkpoints; on the big shop with a
         * year to fold, p95 168 ms rather than 63). */
        int folded = store_rollup_index(c->s);
        while (!stopping && folded >= 0) {
            int64_t began = clock_ms(CLOCK_MONOTONIC);
            if ((folded = store_rollup_fold(c->s, 1000)) <= 0)
                break;
            int64_t took = clock_ms(CLOCK_MONOTONIC) - began;
            sleep_ms((int)(took < 250 ? took : 250));
        }
        if (folded < 0)
            cli_store_fail(c);
        if (store_backup_rotate(c->s, pos[0], (int)keep, written, sizeof written) != 0)
            cli_store_fail(c);     /* say so and try again next time */
        else if (!c->json)
            printf(_("Backed up to %s.\n"), written);
        fflush(stdout);
        for (long t = 0; t < secs && !stopping; t++)
            sleep(1);
    }
    return 0;
}

const struct cmd_entry cmd_backup_entry = {
    .name = "backup", .summary = N_("make a consistent copy of the ledger, once or every so often"),
    .usage = N_("Usage: tally backup FILE\n"
        "       tally backup --every 1h [--keep 48] DIR\n\n"
        "Makes a consistent copy of the ledger while the kiosk and syncd keep\n"
        "working (SQLite's online backup). With --every it runs until stopped,\n"
        "writing DIR/tally-YYYYmmdd-HHMMSS.db each interval (30m, 1h, 1d) and\n"
        "keeping the newest --keep (default 48). Backups hold the shop's secret:\n"
        "they are written with mode 0600; keep them as safe as the till.\n"),
    .options = "every= keep=", .min = 1, .max = 1,
    .count_error = N_("say where to: tally backup FILE, or --every 1h DIR"),
    .check = backup_check, .store = CMD_OPEN, .run = backup,
};

static int restore_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (access(a->pos[0], R_OK) != 0)
        return cli_fail(_("cannot read %s"), a->pos[0]);
    return 0;
}

static int restore(struct cli *c, struct cmd_args *a)
{
    const char **pos = a->pos;
    char db[4096], safety[4200], stamp[32];
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    store_default_path(c->db_path, db, sizeof db);
    snprintf(safety, sizeof safety, "%s.before-restore-%s", db, stamp);
    if (store_backup(c->s, safety) != 0)
        return cli_store_fail(c);
    char before[STORE_ORIGIN_LEN + 1];
    snprintf(before, sizeof before, "%s", store_origin(c->s));
    if (store_restore(c->s, pos[0]) != 0)
        return cli_store_fail(c);
    if (!c->json) {
        int64_t events = store_event_count(c->s);
        printf(ngettext("Restored %" PRId64 " event from %s (the previous database is in %s).\n"
                        "This till was %s and goes on as %s.\n",
                        "Restored %" PRId64 " events from %s (the previous database is in %s).\n"
                        "This till was %s and goes on as %s.\n", i18n_n(events)),
               events, pos[0], safety, before, store_origin(c->s));
    }
    return 0;
}

const struct cmd_entry cmd_restore_entry = {
    .name = "restore", .summary = N_("bring back a backup of this shop (manager)"),
    .usage = N_("Usage: tally restore FILE   (manager)\n\n"
        "Brings back a backup of this shop. The current database is kept first as\n"
        "DB.before-restore-YYYYmmdd-HHMMSS. A file that is not a tally backup, or\n"
        "belongs to another shop, is refused. After a restore this till carries on\n"
        "under a new till id, so no event number is ever used twice; whatever it\n"
        "had sent to other tills since the backup comes back from them by sync.\n"
        "Stop the kiosk and syncd on this till first.\n"),
    .min = 1, .max = 1, .count_error = N_("say which backup: tally restore FILE"),
    .check = restore_check, .store = CMD_OPEN, .login = CMD_MANAGER, .run = restore,
};

static const struct out_col FINDING_COLS[] = {
    { "level", NULL, OUT_TEXT, false }, { "message", NULL, OUT_TEXT, false },
};
static const int FINDING_WIDTHS[] = { 8, 0 };

struct finding_out { struct jbuf *jb; struct out *o; };

static int print_finding(enum store_check_level level, const char *msg, void *arg)
{
    struct finding_out *fo = arg;
    struct jbuf *jb = fo->jb;
    static const char *const NAMES[] = { "ok", "warning", "error" };
    if (jb) {
        jb_obj_begin(jb);
        jb_key_str(jb, "level", NAMES[level]);
        jb_key_str(jb, "message", msg);
        jb_obj_end(jb);
    } else {
        const char *said = level == STORE_CHECK_OK ? _("ok") : level == STORE_CHECK_WARNING ? _("warning") : _("ERROR");
        out_row(fo->o, (struct out_val[]){ { 0, said }, { 0, msg } });
    }
    return 0;
}

static int check(struct cli *c, struct cmd_args *a)
{
    (void)a;
    struct jbuf jb;
    struct out o;
    struct finding_out fo = { cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, FINDING_COLS, FINDING_WIDTHS, NCOLS(FINDING_COLS));
    int errors = store_check(c->s, print_finding, &fo);
    if (errors < 0)
        return out_list_end(&o, &jb, -1);
    int rc = out_list_end(&o, &jb, 0);
    return rc ? rc : errors ? 1 : 0;
}

const struct cmd_entry cmd_check_entry = {
    .name = "check", .summary = N_("check the database and the ledger's invariants"),
    .usage = N_("Usage: tally check\n\n"
        "Runs SQLite's integrity check and the ledger's own: every balance is the\n"
        "sum of its events, this till's events have no gaps, every event matches\n"
        "its content hash, no till sent a different version of an event. Exit\n"
        "status 0 when all is well, 1 when something is wrong.\n"),
    .store = CMD_OPEN, .run = check,
};
