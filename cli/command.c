/* command.c - running a subcommand from its entry.
 *
 * Every command is declared once, in its file, as a struct cmd_entry: its
 * options, how many positionals it takes, its usage, whether it opens the
 * store, who must log in and whether a customer is named. cmd_run does the
 * steps every command used to spell out for itself, always in this order,
 * so that a mistake in what was typed is reported before anything is
 * opened and nobody is asked for a PIN for a command that cannot run:
 *
 *   parse → count → required options → check() → open → log in → customer → run()
 *
 * (customer_first swaps the last two.) A command with subcommands (verbs)
 * parses once with its own options, does its own steps, then hands the
 * remaining positionals to the entry of the verb named first, which does
 * its steps in turn; the store is opened at most once. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "cli.h"
#include "i18n.h"
#include "util/util.h"

/* The place of name in an entry's option list ("items= all"), or -1. */
static int option_index(const char *options, const char *name, size_t len, bool *takes_value)
{
    int k = 0;
    for (const char *p = options; p && *p; k++) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " =");
        bool value = p[n] == '=';
        if (n == len && strncmp(p, name, len) == 0) {
            if (k >= CMD_OPTIONS_MAX) {     /* an entry with too many: a bug */
                fprintf(stderr, "tally: more than %d options in one command\n", CMD_OPTIONS_MAX);
                abort();
            }
            if (takes_value)
                *takes_value = value;
            return k;
        }
        p += n + value;
        p += strspn(p, " ");
    }
    return -1;
}

/* The place of an option the command's code names: one it never declared
 * is a bug, stopped here rather than read as "not given". */
static int declared(const struct cmd_args *a, const char *name, size_t len)
{
    int k = option_index(a->options, name, len, NULL);
    if (k < 0) {
        fprintf(stderr, "tally: option --%.*s is not in the command's entry\n", (int)len, name);
        abort();
    }
    return k;
}

const char *cmd_opt(const struct cmd_args *a, const char *name)
{
    return a->value[declared(a, name, strlen(name))];
}

bool cmd_flag(const struct cmd_args *a, const char *name)
{
    return cmd_opt(a, name) != NULL;
}

static bool global_option(const char *name)
{
    return strcmp(name, "db") == 0 || strcmp(name, "staff") == 0 || strcmp(name, "lang") == 0 ||
           strcmp(name, "format") == 0 || strcmp(name, "config") == 0;
}

static void set_global(struct cli *c, const char *name, const char *value)
{
    if (strcmp(name, "db") == 0)
        c->db_path = value;
    else if (strcmp(name, "staff") == 0)
        c->staff_name = value;
    else if (strcmp(name, "lang") == 0)
        c->lang = value;
    else if (strcmp(name, "format") == 0)
        c->json = strcmp(value, "json") == 0;
    /* --config was read at start-up, in main */
}

/* --format: table or json for every command, also csv where the entry
 * says so (its own choice then goes to a->format, not to c->json). */
static int take_format(struct cli *c, const struct cmd_entry *e, struct cmd_args *a, const char *value)
{
    if (e->csv) {
        if (strcmp(value, "csv") != 0 && strcmp(value, "table") != 0 && strcmp(value, "json") != 0)
            return cli_fail(_("--format is 'table', 'csv' or 'json'")), -1;
        a->format = value;
        return 0;
    }
    if (strcmp(value, "json") != 0 && strcmp(value, "table") != 0)
        return cli_fail(_("--format is 'table' or 'json'")), -1;
    set_global(c, "format", value);
    return 0;
}

/* argv[1..] (argv[0] is the command) into a: options by the entry's list,
 * global options anywhere, positionals up to maxpos. --help prints the
 * usage and exits 0. Returns the number of positionals, or -1 after
 * printing why. */
static int parse(struct cli *c, const struct cmd_entry *e, int argc, char **argv, struct cmd_args *a, int maxpos)
{
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || arg[1] == '\0' || (arg[1] != '-' && isdigit((unsigned char)arg[1]))) {
            /* "-20" is a negative number, not an option. */
            if (a->n >= maxpos)
                return cli_fail(_("unexpected argument '%s'; see 'tally %s --help'"), arg, argv[0]), -1;
            a->pos[a->n++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0) {
            printf("%s", _(e->usage));
            exit(0);
        }
        if (arg[1] != '-')
            return cli_fail(_("unknown option '%s'; see 'tally %s --help'"), arg, argv[0]), -1;
        const char *name = arg + 2, *eq = strchr(name, '=');
        size_t len = eq ? (size_t)(eq - name) : strlen(name);
        char shown[64];     /* the name alone, without "=value" */
        if (len >= sizeof shown)
            return cli_fail(_("unknown option '%s'; see 'tally %s --help'"), arg, argv[0]), -1;
        memcpy(shown, name, len);
        shown[len] = '\0';
        bool takes = false;
        int k = option_index(e->options, shown, len, &takes);
        bool global = global_option(shown);
        if (k < 0 && strcmp(shown, "verbose") == 0 && !eq) {
            log_set_level(LOG_DEBUG);  /* global --verbose: debug messages */
            continue;
        }
        if (k < 0 && !global)
            return cli_fail(_("unknown option '--%s'; see 'tally %s --help'"), shown, argv[0]), -1;
        const char *value = "";
        if (global || takes) {
            if (eq)
                value = eq + 1;
            else if (i + 1 < argc)
                value = argv[++i];
            else
                return cli_fail(_("option '--%s' needs a value"), shown), -1;
        } else if (eq) {
            return cli_fail(_("option '--%s' takes no value"), shown), -1;
        }
        if (!global) {
            a->value[k] = value;
        } else if (strcmp(shown, "format") == 0) {
            if (take_format(c, e, a, value) != 0)
                return -1;
        } else if (strcmp(shown, "db") == 0 && !*value) {
            return cli_fail(_("--db needs the path of a database")), -1;
        } else {
            set_global(c, shown, value);
        }
    }
    return a->n;
}

static int resolve_customer(struct cli *c, const struct cmd_entry *e, struct cmd_args *a)
{
    const char *text = e->customer_opt ? cmd_opt(a, e->customer_opt) : e->customer_arg && a->n > 0 ? a->pos[0] : NULL;
    if (!text)
        return 0;
    if (cli_customer(c, text, &a->customer) != 0)
        return 1;
    a->cu = &a->customer;
    return 0;
}

/* The steps an entry declares, up to the point where its function runs.
 * Returns 0, or the exit code after saying why. */
static int prepare(struct cli *c, const struct cmd_entry *e, struct cmd_args *a)
{
    if (a->n < e->min || (e->max >= 0 && a->n > e->max))
        return cli_fail("%s", _(e->count_error)), 2;
    for (const char *p = e->required; p && *p;) {
        p += strspn(p, " ");
        size_t n = strcspn(p, " ");
        if (!a->value[declared(a, p, n)])
            return cli_fail("%s", _(e->count_error)), 2;
        p += n;
    }
    int rc = e->check ? e->check(c, a) : 0;
    if (rc != 0)
        return rc;
    if (e->store != CMD_NO_STORE && !c->s && cli_open(c, e->store == CMD_CREATE) != 0)
        return 1;
    if (e->customer_first && resolve_customer(c, e, a) != 0)
        return 1;
    bool login = e->login != CMD_NO_LOGIN && (!e->login_if || cmd_flag(a, e->login_if));
    if (login && cli_login(c, e->login == CMD_MANAGER) != 0)
        return 1;
    if (!e->customer_first && resolve_customer(c, e, a) != 0)
        return 1;
    return 0;
}

/* Prepares e, then runs it or the verb its first positional names. */
static int run_entry(struct cli *c, const struct cmd_entry *e, struct cmd_args *a)
{
    int rc = prepare(c, e, a);
    if (rc != 0 || !e->verbs)
        return rc != 0 ? rc : e->run(c, a);
    const struct cmd_entry *v = e->verbs;
    while (v->name && a->n > 0 && strcmp(v->name, a->pos[0]) != 0)
        v++;
    if (!v->name || a->n == 0)      /* no verb, or not one of them */
        return cli_fail("%s", _(e->count_error)), 2;
    a->pos++;
    a->n--;
    return run_entry(c, v, a);
}

int cmd_run(struct cli *c, const struct cmd_entry *e, int argc, char **argv)
{
    struct cmd_args a = { .options = e->options };
    const char **pos = calloc((size_t)argc, sizeof *pos);
    if (!pos)
        return cli_fail(_("out of memory"));
    a.pos = pos;
    int rc = parse(c, e, argc, argv, &a, e->max < 0 ? argc : e->max) < 0 ? 2 : run_entry(c, e, &a);
    free(pos);
    return rc;
}
