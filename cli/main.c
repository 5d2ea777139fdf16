/* main.c - the one tally command: global options, language, dispatch. */
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "sync/sync.h"
#include "util/util.h"

#ifndef LOCALEDIR
#define LOCALEDIR "/usr/local/share/locale"
#endif
#define TALLY_VERSION "0.1.0"

/* In the order 'tally --help' lists them; each entry is in its file. */
static const struct cmd_entry *const COMMANDS[] = {
    &cmd_init_entry,
    &cmd_kiosk_entry,
    &cmd_program_entry,
    &cmd_staff_entry,
    &cmd_customer_entry,
    &cmd_earn_entry,
    &cmd_redeem_entry,
    &cmd_pay_entry,
    &cmd_refund_entry,
    &cmd_void_entry,
    &cmd_adjust_entry,
    &cmd_nps_entry,
    &cmd_coupon_entry,
    &cmd_reward_entry,
    &cmd_promo_entry,
    &cmd_expire_entry,
    &cmd_events_entry,
    &cmd_backup_entry,
    &cmd_restore_entry,
    &cmd_check_entry,
    &cmd_digest_entry,
    &cmd_import_entry,
    &cmd_card_entry,
    &cmd_scan_entry,
    &cmd_syncd_entry,
    &cmd_sync_entry,
    &cmd_till_entry,
    &cmd_report_entry,
    &cmd_dashboard_entry,
    &cmd_demo_entry,
    &cmd_message_entry,
    &cmd_campaign_entry,
    &cmd_messenger_entry,
};

static void usage(FILE *f)
{
    fprintf(f, _("Usage: tally [--db PATH] [--lang LANG] [--format table|json] [--verbose] COMMAND ...\n\n"
                 "A loyalty-program till for cafés, bakeries and small shops.\n\nCommands:\n"));
    for (size_t i = 0; i < sizeof COMMANDS / sizeof COMMANDS[0]; i++)
        fprintf(f, "  %-10s %s\n", COMMANDS[i]->name, _(COMMANDS[i]->summary));
    fprintf(f, _("\nEvery command takes --help. The database is --db PATH, else $TALLY_DB, else\n"
                 "db in the configuration file (--config FILE, $TALLY_CONFIG or\n"
                 "/etc/tally/tally.conf), else ~/.local/share/tally/tally.db. Staff act with\n"
                 "--staff NAME (or $TALLY_STAFF) and their PIN ($TALLY_PIN, or asked).\n"));
}

/* Translations: $TALLY_LOCALEDIR, else a build/locale beside the binary
 * (a source tree), else ../share/locale beside it (installed), else the
 * LOCALEDIR compiled in. */
static void setup_language(int argc, char **argv, const char **lang)
{
    for (int i = 1; i + 1 < argc; i++)
        if (strcmp(argv[i], "--lang") == 0)
            *lang = argv[i + 1];
        else if (strncmp(argv[i], "--lang=", 7) == 0)
            *lang = argv[i] + 7;
    if (!*lang) {
        const char *vars[] = { "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG" };
        for (size_t i = 0; i < 4 && !*lang; i++) {
            const char *v = getenv(vars[i]);
            if (v && *v && strcmp(v, "C") != 0 && strncmp(v, "C.", 2) != 0 && strcmp(v, "POSIX") != 0)
                *lang = v;
        }
    }
    /* "pl_PL.UTF-8" → LANGUAGE "pl_PL:pl", so the language is found even
     * where the pl_PL locale itself was never generated. */
    if (*lang) {
        char l[64];
        snprintf(l, sizeof l, "%s", *lang);
        l[strcspn(l, ".@")] = '\0';
        char both[140];
        if (strchr(l, '_') && !strchr(l, ':'))
            snprintf(both, sizeof both, "%s:%.*s", l, (int)strcspn(l, "_"), l);
        else
            snprintf(both, sizeof both, "%s", l);
        setenv("LANGUAGE", both, 1);
    }
    /* gettext ignores LANGUAGE in the "C" locale; a till whose locale is
     * not generated still gets its language through C.UTF-8. */
    if (!setlocale(LC_ALL, "") || strcmp(setlocale(LC_ALL, NULL), "C") == 0)
        setlocale(LC_ALL, "C.UTF-8");
    /* Numbers in files and JSON stay in C form whatever the language. */
    setlocale(LC_NUMERIC, "C");
    const char *dir = getenv("TALLY_LOCALEDIR");
    static char here[4200];
    if (!dir) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        struct stat sb;
        if (n > 0) {
            exe[n] = '\0';
            char *slash = strrchr(exe, '/');
            if (slash)
                *slash = '\0';
            snprintf(here, sizeof here, "%s/build/locale", exe);
            if (stat(here, &sb) == 0)
                dir = here;
            else {
                /* Installed: PREFIX/bin/tally finds PREFIX/share/locale,
                 * wherever PREFIX is. */
                snprintf(here, sizeof here, "%s/../share/locale", exe);
                if (stat(here, &sb) == 0)
                    dir = here;
            }
        }
    }
    bindtextdomain("tally", dir ? dir : LOCALEDIR);
    bind_textdomain_codeset("tally", "UTF-8");
    textdomain("tally");
}

int main(int argc, char **argv)
{
    struct cli c = { 0 };
    bool verbose = false;
    const char *lang = NULL, *config = NULL;
    for (int k = 1; k < argc; k++)
        if (strcmp(argv[k], "--config") == 0 && k + 1 < argc)
            config = argv[k + 1];
        else if (strncmp(argv[k], "--config=", 9) == 0)
            config = argv[k] + 9;
    int conf_rc = cli_config_load(&c, config);
    lang = c.conf.lang;     /* --lang, found below, still wins */
    setup_language(argc, argv, &lang);
    c.lang = lang ? lang : "en";
    if (conf_rc != 0)
        return 2;

    /* Global options may come before the command. */
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            return 0;
        }
        if (strcmp(a, "--version") == 0) {
            printf("tally %s\n", TALLY_VERSION);
            return 0;
        }
        if (strcmp(a, "--verbose") == 0) {
            verbose = true;
            continue;
        }
        const char *names[] = { "--db", "--lang", "--format", "--staff", "--config" };
        size_t k;
        for (k = 0; k < 5; k++) {
            size_t n = strlen(names[k]);
            if (strncmp(a, names[k], n) == 0 && (a[n] == '=' || a[n] == '\0'))
                break;
        }
        if (k == 5) {
            cli_fail(_("unknown option '%s'"), a);
            usage(stderr);
            return 2;
        }
        const char *v = strchr(a, '=');
        if (v)
            v++;
        else if (i + 1 < argc)
            v = argv[++i];
        else
            return cli_fail(_("option '%s' needs a value"), a), 2;
        if (k == 0 && !*v)     /* not the default database by surprise */
            return cli_fail(_("--db needs the path of a database")), 2;
        if (k == 0)
            c.db_path = v;
        else if (k == 2) {
            if (strcmp(v, "json") != 0 && strcmp(v, "table") != 0)
                return cli_fail(_("--format is 'table' or 'json'")), 2;
            c.json = strcmp(v, "json") == 0;
        } else if (k == 3)
            c.staff_name = v;
    }
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    /* The database: --db, else $TALLY_DB, else the configuration file. */
    const char *env_db = getenv("TALLY_DB");
    if (!c.db_path && !(env_db && *env_db))
        c.db_path = c.conf.db;
    /* Logs: syslog and stderr under the name of what runs. */
    if (strcmp(argv[i], "syncd") == 0)
        log_set_ident("tally-syncd", LOG_DAEMON);
    else if (strcmp(argv[i], "kiosk") == 0)
        log_set_ident("tally-kiosk", LOG_USER);
    else
        log_set_ident("tally", LOG_USER);
    if (verbose)
        log_set_level(LOG_DEBUG);
    for (size_t k = 0; k < sizeof COMMANDS / sizeof COMMANDS[0]; k++) {
        if (strcmp(argv[i], COMMANDS[k]->name) == 0) {
            /* Arguments may name a customer: only the command is logged. */
            log_write(LOG_DEBUG, _("tally %s: %s, database %s"), TALLY_VERSION, argv[i],
                     c.db_path ? c.db_path : (env_db && *env_db ? env_db : _("the default")));
            int rc = cmd_run(&c, COMMANDS[k], argc - i, argv + i);
            /* The messages of the purchases it made, after the sale's own
             * commit (store_message_drain); left for the next process if
             * this cannot. */
            if (c.s && store_message_drain(c.s, 0, NULL) != 0)
                log_write(LOG_WARNING, _("the messages of the last purchases wait: %s"), store_error(c.s));
            if (c.s)
                store_close(c.s);
            log_write(LOG_DEBUG, _("%s finished with exit code %d"), argv[i], rc);
            return rc;
        }
    }
    cli_fail(_("unknown command '%s'; 'tally --help' lists them"), argv[i]);
    return 2;
}
