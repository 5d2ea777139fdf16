/* cmd_sync.c - several tills, one shop: tally syncd, tally sync status,
 * tally till invite|join|list|remove. */
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"
#include "sync/sync.h"
#include "util/util.h"

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

static int syncd(struct cli *c, struct cmd_args *a)
{
    const char *listen = cmd_opt(a, "listen"), *heartbeat = cmd_opt(a, "heartbeat-ms");
    bool verbose = cmd_flag(a, "verbose");
    char path[4096];
    if (store_default_path(c->db_path, path, sizeof path) != 0)
        return cli_fail(_("cannot tell where the database is: give --db PATH or set TALLY_DB"));
    struct sync_options o;
    memset(&o, 0, sizeof o);
    o.db_path = path;
    o.listen = listen;
    o.verbose = verbose;
    o.stop = &stop_requested;
    if (heartbeat) {
        o.heartbeat_ms = atoi(heartbeat);
        if (o.heartbeat_ms < 50 || o.heartbeat_ms > 60000)
            return cli_fail(_("--heartbeat-ms is between 50 and 60000")), 2;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    return sync_daemon_run(&o);
}

const struct cmd_entry cmd_syncd_entry = {
    .name = "syncd", .summary = N_("run the sync daemon that exchanges events with the other tills"),
    .usage = N_("Usage: tally syncd [--listen HOST:PORT] [--verbose]\n\n"
        "Runs beside the kiosk on every till: publishes this till's events as\n"
        "soon as they are committed and applies the events of the other tills.\n"
        "It listens on PORT, PORT+1 and PORT+2 of HOST (the address other tills\n"
        "reach this one at); the first time, give --listen (PORT 0 picks free\n"
        "ports); later runs use the same address. Every connection is\n"
        "encrypted, and only the shop's tills ('tally till list') get in.\n"
        "Logs go to stderr; stop it with Ctrl-C or SIGTERM.\n"),
    /* syncd opens the database itself, in its own threads */
    .options = "listen= heartbeat-ms= verbose", .run = syncd,
};

static void ago(int64_t then, char *out, size_t outsz)
{
    int64_t s = (clock_ms(CLOCK_REALTIME) - then) / 1000;
    if (!then)
        snprintf(out, outsz, "%s", _("never"));
    else if (s < 120)
        snprintf(out, outsz, _("%" PRId64 " s ago"), s < 0 ? 0 : s);
    else if (s < 7200)
        snprintf(out, outsz, _("%" PRId64 " min ago"), s / 60);
    else
        cli_time(then, out, outsz);
}

static const struct out_col PEER_COLS[] = {
    { "till", NULL, OUT_TEXT, false }, { "name", NULL, OUT_TEXT, false }, { "address", NULL, OUT_TEXT, false },
    { "state", NULL, OUT_TEXT, false }, { "last_heard", NULL, OUT_TEXT, false }, { "they_lack", NULL, OUT_INT, false },
    { "we_lack", NULL, OUT_INT, false }, { "refused", NULL, OUT_INT, false },
};
static const int PEER_WIDTHS[] = { 9, 16, 22, 13, 12, 9, 9, 0 };

/* The other tills, a line each, lined up by terminal columns (a till
 * called "Pénztár ő" is 12 bytes in 9), with what each refused under it. */
static int peer_table(struct cli *c, const struct sync_status *st)
{
    struct out o;
    out_begin_plain(&o, c, PEER_COLS, PEER_WIDTHS, NCOLS(PEER_COLS));
    const char *labels[] = { _("till"), C_("till", "name"), _("address"), _("state"), _("last heard"),
                             _("they lack"), _("we lack"), _("refused") };
    out_row_shown(&o, (struct out_val[NCOLS(PEER_COLS)]){ { 0 } }, labels);
    for (int i = 0; i < st->npeers; i++) {
        const struct sync_peer_status *p = &st->peers[i];
        uint64_t refused = 0;
        for (int r = 0; r < SYNC_REFUSED_NREASONS; r++)
            refused += p->refused[r];
        char when[64], name[sizeof p->name];
        ago(p->last_heard, when, sizeof when);
        text_clip(p->name, 16, name, sizeof name);
        out_row(&o, (struct out_val[]){ { 0, p->origin[0] ? p->origin : "?" }, { 0, name }, { 0, p->address },
                                        { 0, p->connected ? _("connected") : _("unreachable") }, { 0, when },
                                        { p->they_lack, NULL }, { p->we_lack, NULL }, { (int64_t)refused, NULL } });
        if (p->refused[SYNC_REFUSED_SIGNATURE])
            out_note(&o, ngettext("          refused %" PRIu64 " run of events that their till did not sign: this till "
                                  "speaks for another\n",
                                  "          refused %" PRIu64 " runs of events that their till did not sign: this till "
                                  "speaks for another\n", i18n_n((long long)p->refused[SYNC_REFUSED_SIGNATURE])),
                     p->refused[SYNC_REFUSED_SIGNATURE]);
        if (refused)
            out_note(&o, "          %s %s\n", _("last refused:"), p->last_refusal);
    }
    return out_end(&o, 0, NULL, NULL);
}

static int sync_status_cmd(struct cli *c, struct cmd_args *a)
{
    (void)a;
    char path[4096];
    if (store_default_path(c->db_path, path, sizeof path) != 0)
        return cli_fail(_("cannot tell where the database is: give --db PATH or set TALLY_DB"));
    struct sync_status *st = calloc(1, sizeof *st);
    if (!st)
        return cli_fail(_("out of memory"));
    if (sync_status_read(path, st) != 0) {
        free(st);
        return cli_fail(_("cannot read the sync status of %s"), path);
    }
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_bool(&jb, "running", st->running);
        jb_key_str(&jb, "till", st->origin);
        jb_key_str(&jb, "address", st->address);
        jb_key_int(&jb, "updated", st->updated);
        jb_key_int(&jb, "applied", (int64_t)st->applied);
        jb_key_int(&jb, "refused_strangers", (int64_t)st->strangers);
        jb_key(&jb, "peers");
        jb_arr_begin(&jb);
        for (int i = 0; i < st->npeers; i++) {
            const struct sync_peer_status *p = &st->peers[i];
            jb_obj_begin(&jb);
            jb_key_str(&jb, "till", p->origin);
            jb_key_str(&jb, "name", p->name);
            jb_key_str(&jb, "address", p->address);
            jb_key_bool(&jb, "connected", st->running && p->connected);
            jb_key_int(&jb, "last_heard", p->last_heard);
            jb_key_int(&jb, "they_lack", p->they_lack);
            jb_key_int(&jb, "we_lack", p->we_lack);
            jb_key(&jb, "refused");
            jb_obj_begin(&jb);
            for (int r = 0; r < SYNC_REFUSED_NREASONS; r++) {
                jb_key_int(&jb, sync_refusal_name((enum sync_refusal)r), (int64_t)p->refused[r]);
            }
            jb_obj_end(&jb);
            jb_key_str(&jb, "last_refusal", p->last_refusal);
            jb_obj_end(&jb);
        }
        jb_arr_end(&jb);
        jb_key(&jb, "waiting");
        jb_arr_begin(&jb);
        for (int i = 0; i < st->nwaiting; i++) {
            jb_obj_begin(&jb);
            jb_key_str(&jb, "till", st->waiting[i].origin);
            jb_key_int(&jb, "lacking", st->waiting[i].lacking);
            jb_obj_end(&jb);
        }
        jb_arr_end(&jb);
        jb_obj_end(&jb);
        free(st);
        return cli_print_json(&jb);
    }
    char when[64];
    if (!st->running) {
        if (st->updated) {
            ago(st->updated, when, sizeof when);
            printf(_("tally syncd is not running on this till (last seen %s): nothing reaches the other tills.\n"
                     "Start it with 'tally syncd'.\n"), when);
        } else {
            printf(_("tally syncd has never run with this database: start it with\n"
                     "'tally syncd --listen HOST:PORT'.\n"));
        }
        free(st);
        return 0;
    }
    printf(ngettext("This till %s listens on %s; %" PRIu64 " event received since syncd started.\n",
                    "This till %s listens on %s; %" PRIu64 " events received since syncd started.\n",
                    i18n_n((long long)st->applied)), st->origin, st->address, st->applied);
    if (st->strangers)
        printf(ngettext("Refused %" PRIu64 " connection or message from keys that are not the shop's.\n",
                        "Refused %" PRIu64 " connections or messages from keys that are not the shop's.\n",
                        i18n_n((long long)st->strangers)), st->strangers);
    int rc = 0;
    if (!st->npeers)
        printf(_("No other tills yet: add one with 'tally till invite'.\n"));
    else
        rc = peer_table(c, st);
    for (int i = 0; i < st->nwaiting; i++)
        printf(ngettext("Cannot take %" PRId64 " event of %s that other tills hold: no till's word for it counts "
                        "here (an import made by an earlier version whose till's vouch does not count, or "
                        "one two tills claimed: 'tally check' names them). It is not asked for until one "
                        "does; the tills that hold it keep it.\n",
                        "Cannot take %" PRId64 " events of %s that other tills hold: no till's word for it counts "
                        "here (an import made by an earlier version whose till's vouch does not count, or "
                        "one two tills claimed: 'tally check' names them). It is not asked for until one "
                        "does; the tills that hold it keep it.\n", i18n_n((long long)st->waiting[i].lacking)),
               st->waiting[i].lacking, st->waiting[i].origin);
    free(st);
    return rc;
}

static const struct cmd_entry SYNC_VERBS[] = { { .name = "status", .max = -1, .run = sync_status_cmd }, { 0 } };

const struct cmd_entry cmd_sync_entry = {
    .name = "sync", .summary = N_("show how this till is in sync with the others"),
    .usage = N_("Usage: tally sync status [--format json]\n\n"
        "For each other till: connected or not, when it was last heard, how many\n"
        "events each side still lacks, and messages refused and why. Read from\n"
        "what 'tally syncd' on this till writes every second.\n"),
    .min = 1, .max = 1, .count_error = N_("say 'status'; see 'tally sync --help'"), .verbs = SYNC_VERBS,
};

struct till_list { struct cli *c; struct jbuf *jb; struct out *o; };

static const struct out_col TILL_COLS[] = {
    { "till", NULL, OUT_TEXT, false }, { "name", NULL, OUT_TEXT, false }, { "address", NULL, OUT_TEXT, false },
    { "public_key", NULL, OUT_TEXT, false }, { "note", NULL, OUT_TEXT, false },
};
static const int TILL_WIDTHS[] = { 9, 20, 22, 0, 0 };

static int print_till(const struct store_till *t, void *arg)
{
    struct till_list *l = arg;
    char z85[41];
    sync_key_z85(t->public_key, z85);
    bool self = strcmp(t->origin, store_origin(l->c->s)) == 0;
    if (l->jb) {
        jb_obj_begin(l->jb);
        jb_key_str(l->jb, "till", t->origin);
        jb_key_str(l->jb, "name", t->name);
        jb_key_str(l->jb, "address", t->address);
        jb_key_str(l->jb, "public_key", z85);
        jb_key_bool(l->jb, "this_till", self);
        jb_key_bool(l->jb, "removed", t->removed);
        jb_obj_end(l->jb);
    } else {
        char name[STORE_TEXT_MAX * 4 + 1];
        text_clip(t->name[0] ? t->name : "-", 20, name, sizeof name);
        out_row(l->o, (struct out_val[]){ { 0, t->origin }, { 0, name }, { 0, t->address[0] ? t->address : "-" },
                                          { 0, z85 }, { 0, self ? _("(this till)") : t->removed ? _("(removed)") : "" } });
    }
    return 0;
}

static int till_invite_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *minutes = cmd_opt(a, "minutes");
    if (minutes && (atoi(minutes) < 1 || atoi(minutes) > 10080))
        return cli_fail(_("--minutes is between 1 and 10080 (a week)")), 2;
    return 0;
}

static int till_invite(struct cli *c, struct cmd_args *a)
{
    const char *minutes = cmd_opt(a, "minutes");
    int64_t mins = minutes ? strtoll(minutes, NULL, 10) : 60;
    unsigned char token[STORE_TOKEN_BYTES], pk[STORE_KEY_BYTES], sk[STORE_KEY_BYTES];
    char address[STORE_ADDRESS_MAX + 1] = "", text[SYNC_TOKEN_LEN + 1], z85[41], until[32];
    if (store_till_keys(c->s, pk, sk) != 0 || store_invite_create(c->s, c->who.id, mins * 60000, token) != 0)
        return cli_store_fail(c);
    memset(sk, 0, sizeof sk);
    store_sync_get(c->s, "sync.address", address, sizeof address);
    sync_token_format(token, pk, text);
    sync_key_z85(pk, z85);
    cli_time(store_now(c->s) + mins * 60000, until, sizeof until);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_str(&jb, "token", text);
        jb_key_str(&jb, "address", address);
        jb_key_str(&jb, "public_key", z85);
        jb_key_int(&jb, "expires", store_now(c->s) + mins * 60000);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("One new till may join until %s. On the new till, run:\n\n"
             "    tally till join %s %s --name NAME --listen HOST:PORT\n\n"
             "This till: %s, key %s\n"), until, address[0] ? address : "HOST:PORT", text,
           address[0] ? address : _("(no address yet)"), z85);
    if (!address[0])
        printf(_("'tally syncd --listen HOST:PORT' must run on this till for the new one to join.\n"));
    return 0;
}

static int till_join(struct cli *c, struct cmd_args *a)
{
    const char *address = a->pos[0], *token = a->pos[1], *name = cmd_opt(a, "name");
    const char *listen = cmd_opt(a, "listen"), *timeout = cmd_opt(a, "timeout");
    char path[4096], err[1024];
    if (store_default_path(c->db_path, path, sizeof path) != 0)
        return cli_fail(_("cannot tell where the database is: give --db PATH or set TALLY_DB"));
    int secs = timeout ? atoi(timeout) : 15;
    if (secs < 1 || secs > 600)
        return cli_fail(_("--timeout is between 1 and 600 seconds")), 2;
    struct sync_join_result r;
    if (sync_join(path, address, token, name, listen, secs * 1000, &r, err, sizeof err) != 0)
        return cli_fail("%s", err);
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key_str(&jb, "till", r.origin);
        jb_key_str(&jb, "shop", r.shop_name);
        jb_key_str(&jb, "database", path);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("This till is now %s of \"%s\" (database %s).\n"
             "Start 'tally syncd%s' here: it fetches the shop's history by itself.\n"),
           r.origin, r.shop_name, path, listen ? "" : " --listen HOST:PORT");
    return 0;
}

static int till_list(struct cli *c, struct cmd_args *a)
{
    struct jbuf jb;
    struct out o;
    struct till_list l = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, TILL_COLS, TILL_WIDTHS, NCOLS(TILL_COLS));
    return out_list_end(&o, &jb, store_till_list(c->s, cmd_flag(a, "all"), print_till, &l));
}

static int till_remove(struct cli *c, struct cmd_args *a)
{
    if (store_till_remove(c->s, c->who.id, a->pos[0]) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Removed till %s: its key stops working at every till as the change arrives there.\n"), a->pos[0]);
    return 0;
}

/* join makes the database, from the inviting till: nothing to open. */
static const struct cmd_entry TILL_VERBS[] = {
    { .name = "join", .min = 2, .max = 2,
      .count_error = N_("give the inviting till's address and the token: tally till join ADDRESS TOKEN"),
      .run = till_join },
    { .name = "invite", .max = -1, .check = till_invite_check, .store = CMD_OPEN, .login = CMD_MANAGER,
      .run = till_invite },
    { .name = "list", .max = -1, .store = CMD_OPEN, .run = till_list },
    { .name = "remove", .min = 1, .max = 1, .count_error = N_("say which till: tally till remove TILL (its id or name)"),
      .store = CMD_OPEN, .login = CMD_MANAGER, .run = till_remove },
    { 0 } };

const struct cmd_entry cmd_till_entry = {
    .name = "till", .summary = N_("invite, join, list or remove the tills of the shop"),
    .usage = N_("Usage: tally till invite [--minutes N]                   (manager)\n"
        "       tally till join ADDRESS TOKEN --db NEW.db [--name NAME] [--listen HOST:PORT]\n"
        "       tally till list [--all]\n"
        "       tally till remove TILL                             (manager)\n\n"
        "A new till joins the shop with a one-time token that a manager makes on\n"
        "any till running 'tally syncd' (valid 60 minutes, or --minutes). The\n"
        "new till gets the shop's keys over an encrypted connection and then\n"
        "the whole history. Every till knows every other's address and key\n"
        "from the till list, which replicates like any event. A removed till's\n"
        "key stops working at every till; --all lists removed tills too.\n"),
    .options = "name= listen= minutes= timeout= all", .min = 1, .max = 3,
    .count_error = N_("say 'invite', 'join', 'list' or 'remove'; see 'tally till --help'"), .verbs = TILL_VERBS,
};
