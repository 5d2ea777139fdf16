/* cli.h - what the tally command's files share: the context of one run,
 * option parsing, output in table or JSON form, logging in, and turning
 * what a person typed (card code, phone, id) into a customer. */
#ifndef TALLY_CLI_H
#define TALLY_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "store/store.h"
#include "util/util.h"

struct cli {
    const char *db_path;        /* --db, or NULL for the default */
    const char *staff_name;     /* --staff, or $TALLY_STAFF */
    bool json;                  /* --format json */
    const char *lang;           /* two-letter language for amounts */
    store *s;
    struct store_staff who;     /* after cli_login */
    struct {                    /* from the configuration file, or NULL */
        const char *db, *camera, *wedge, *lang, *listen, *cards_dir, *card_logo, *messenger;
    } conf;
};

/* Reads the per-machine configuration: path, else $TALLY_CONFIG, else
 * /etc/tally/tally.conf if it exists. Unknown keys and bad values are
 * refused with the line number. Returns 0 or an exit code. */
int cli_config_load(struct cli *c, const char *path);

/* A subcommand, declared once in its file (tmux's cmd_entry is the
 * model): what it takes and what it needs before its function runs.
 * cmd_run (command.c) parses, counts, checks, opens the store, logs the
 * staff member in and finds the customer, in that order, so run() starts
 * with valid arguments and an open, logged-in store. */
enum cmd_store { CMD_NO_STORE, CMD_OPEN, CMD_CREATE };
enum cmd_login { CMD_NO_LOGIN, CMD_STAFF, CMD_MANAGER };

#define CMD_OPTIONS_MAX 16
#define CMD_NUMBERS 4

/* What was typed, as the entry's function gets it. */
struct cmd_args {
    int n;                      /* positionals (a verb's own: its name is gone) */
    const char **pos;
    const char *options;        /* the command's option list */
    const char *value[CMD_OPTIONS_MAX]; /* by place in it; "" for a flag given */
    const char *format;         /* --format with csv allowed (entry.csv), or NULL */
    int64_t number[CMD_NUMBERS];/* what check() read, for run() */
    struct store_customer customer;
    const struct store_customer *cu;    /* the customer named, or NULL */
};

struct cmd_entry {
    const char *name;
    const char *summary;        /* N_(): its line in 'tally --help' */
    const char *usage;          /* N_(): --help; verbs use their command's */
    const char *options;        /* "items= category= all": name= takes a value;
                                 * verbs share their command's */
    int min, max;               /* positionals; max -1: any number */
    const char *count_error;    /* N_(): fewer than min, more than max, an
                                 * unknown verb, or a required option missing */
    const char *required;       /* options that must be given: "reason" */
    /* Checks what needs no store (a score, an interval), before anything is
     * opened; may keep what it read in a->number. 0, or the exit code. */
    int (*check)(struct cli *c, struct cmd_args *a);
    enum cmd_store store;
    enum cmd_login login;
    const char *login_if;       /* only when this flag is given (card --replace) */
    bool customer_arg;          /* the first positional, if given, is a customer */
    const char *customer_opt;   /* or this option's value, if given */
    bool customer_first;        /* find the customer before the login */
    bool csv;                   /* --format takes csv too (into a->format) */
    int (*run)(struct cli *c, struct cmd_args *a);
    const struct cmd_entry *verbs;  /* or: subcommands, by the first positional;
                                     * ends with a { 0 } entry */
};

/* Runs a command from its entry; argv[0] is its name. Returns the exit code. */
int cmd_run(struct cli *c, const struct cmd_entry *e, int argc, char **argv);

/* An option's value, or NULL when not given; whether a flag was given.
 * The name must be in the command's entry. */
const char *cmd_opt(const struct cmd_args *a, const char *name);
bool cmd_flag(const struct cmd_args *a, const char *name);

/* Prints "tally: <message>" to stderr and returns the failing exit code. */
int cli_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cli_store_fail(struct cli *c);

/* Opens the database (must exist and hold a shop unless create). */
int cli_open(struct cli *c, bool create);

/* Logs the acting staff member in: --staff/$TALLY_STAFF and the PIN from
 * $TALLY_PIN or asked on the terminal. */
int cli_login(struct cli *c, bool manager);

/* Reads a PIN from $var or, without it, from the terminal without echo. */
int cli_read_pin(const char *var, const char *prompt, char *out, size_t outsz);

/* Whether this till is cut off from the shop's other tills: it has others,
 * and syncd is not running or heard none of them for offline.after_minutes.
 * describe (may be NULL) gets a short line for a status bar. Also tells
 * the store, which then limits spending points (offline.redeem_limit). */
bool cli_offline(struct cli *c, char *describe, size_t describesz);

/* A customer from a card code (QR or human form), a phone number or an id. */
int cli_customer(struct cli *c, const char *text, struct store_customer *out);

/* Amount typed by a person in the shop's currency ("12.50" or "12,50"). */
int cli_money(struct cli *c, const char *text, int64_t *out);
/* Amount formatted for people. */
const char *cli_amount(struct cli *c, int64_t minor, char buf[MONEY_BUFSZ]);

/* A listing printed as table rows, or collected into one JSON array:
 *     struct jbuf jb;
 *     int rc = store_x_list(c->s, print_row, cli_list_begin(c, &jb));
 *     return cli_list_end(c, &jb, rc);
 * print_row gets the jbuf to fill with --format json, else NULL. */
struct jbuf *cli_list_begin(struct cli *c, struct jbuf *jb);
int cli_list_end(struct cli *c, struct jbuf *jb, int rc);

/* Prints a finished JSON document and frees it. */
int cli_print_json(struct jbuf *jb);

/* Local date and time of unix ms, "2026-11-23 16:05". */
void cli_time(int64_t ms, char *out, size_t outsz);

struct card_face;
/* The shop's side of a customer's card (cmd_card.c): name, accent band,
 * logo (logo_path, else card_logo from the configuration; malloc'd, the
 * caller frees face->logo_png) and the holder's name unless NULL or the
 * customer was forgotten. human and qr are left to the caller. */
int card_face_of(struct cli *c, const struct store_customer *cu, const char *holder,
                 const char *logo_path, struct card_face *face);

/* The subcommands, each declared in its cmd_*.c file. */
extern const struct cmd_entry cmd_init_entry, cmd_kiosk_entry, cmd_program_entry, cmd_staff_entry,
    cmd_customer_entry, cmd_earn_entry, cmd_redeem_entry, cmd_pay_entry, cmd_refund_entry, cmd_void_entry,
    cmd_adjust_entry, cmd_nps_entry, cmd_coupon_entry, cmd_reward_entry, cmd_promo_entry, cmd_expire_entry,
    cmd_events_entry, cmd_backup_entry, cmd_restore_entry, cmd_check_entry, cmd_digest_entry, cmd_import_entry,
    cmd_card_entry, cmd_scan_entry, cmd_syncd_entry, cmd_sync_entry, cmd_till_entry, cmd_report_entry,
    cmd_dashboard_entry, cmd_demo_entry, cmd_message_entry, cmd_campaign_entry, cmd_messenger_entry;

#endif
