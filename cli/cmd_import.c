/* cmd_import.c - tally import customers|transactions FILE.csv, for shops
 * moving from paper cards or another system. All rows or none: every row
 * is done on a copy of the ledger (store_import_begin, store/import.c) in
 * one transaction there, and one bad row drops the copy after all bad
 * rows have been reported by line number; a good file is then added to
 * the ledger in short transactions, so the counter never waits for it. */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <sodium.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"

static const char USAGE[] = N_(
    "Usage: tally import customers FILE.csv     (manager)\n"
    "       tally import transactions FILE.csv  (manager)\n"
    "       tally import finish                 (manager)\n\n"
    "CSV with a header row, comma or semicolon separated (as Excel writes it),\n"
    "UTF-8. Column names are matched without regard to case; order is free.\n\n"
    "customers:     name (required), phone, email, birthday (YYYY-MM-DD or\n"
    "               MM-DD), consent (yes/no), points, stamps (opening balances)\n"
    "               Prints each new customer's card code.\n"
    "transactions:  card, phone or customer (one of them, to find the customer),\n"
    "               amount (required), date (YYYY-MM-DD or YYYY-MM-DD HH:MM,\n"
    "               default now), items, category. Each row is a purchase under\n"
    "               the program's rules at that date; abuse limits do not apply.\n\n"
    "Imported customers get no welcome bonus and no welcome message (they are\n"
    "not new to the shop); imported purchases send no messages.\n\n"
    "Nothing is written unless every row is good; each bad row is reported\n"
    "with its line number. The rows are done on a copy of the database first\n"
    "(beside it, its name plus .import), then held in the database and added\n"
    "a few thousand at a time: sales at the kiosk go on meanwhile, and other\n"
    "tills get the import once all of it is in. A phone number of a customer\n"
    "in the file given to someone at the counter while the rows are being\n"
    "done makes the import bring nothing; after that, the counter refuses\n"
    "such a number. Stopped before its rows were done (a power cut, a kill),\n"
    "it leaves nothing; stopped while being added, 'tally check' says so and\n"
    "'tally import finish' (or the next import) adds the rest, without the\n"
    "copy (and the same file given again is not imported twice).\n");

#define MAX_COLS 16

struct columns { const char *names[MAX_COLS]; int index[MAX_COLS]; };

/* The column called name (any case, spaces around ignored): its index, -1
 * if none, or -2 if the header names it twice (which one is meant?). */
static int column_index(char **fields, int n, const char *name)
{
    int found = -1;
    for (int i = 0; i < n; i++) {
        const char *f = fields[i];
        while (*f == ' ')
            f++;
        size_t len = strlen(f);
        while (len && f[len - 1] == ' ')
            len--;
        if (len == strlen(name) && strncasecmp(f, name, len) == 0) {
            if (found >= 0)
                return -2;
            found = i;
        }
    }
    return found;
}

static const char *field(char **fields, int n, int idx)
{
    if (idx < 0 || idx >= n)
        return NULL;
    const char *f = fields[idx];
    while (*f == ' ')
        f++;
    return *f ? f : NULL;
}

struct import {
    struct cli *c;
    FILE *f;
    bool transactions;
    int errors, rows;
    unsigned char secret[STORE_SECRET_BYTES];
    char *out;          /* card codes printed after a successful import */
    size_t out_len, out_cap;
};

static void bad_row(struct import *im, long line, const char *why)
{
    fprintf(stderr, _("line %ld: %s\n"), line, why);
    im->errors++;
}

static void import_remember(struct import *im, const char *text)
{
    size_t n = strlen(text);
    if (im->out_len + n + 1 > im->out_cap) {
        size_t cap = im->out_cap ? im->out_cap * 2 : 4096;
        while (cap < im->out_len + n + 1)
            cap *= 2;
        char *grown = realloc(im->out, cap);
        if (!grown)
            return;
        im->out = grown;
        im->out_cap = cap;
    }
    memcpy(im->out + im->out_len, text, n + 1);
    im->out_len += n;
}

static int consent_value(const char *v)
{
    if (!v)
        return 0;
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "y") || !strcmp(v, "1") || !strcasecmp(v, "true") ||
        !strcasecmp(v, "tak") || !strcasecmp(v, "da") || !strcasecmp(v, "igen"))
        return 1;
    if (!strcasecmp(v, "no") || !strcasecmp(v, "n") || !strcmp(v, "0") || !strcasecmp(v, "false") ||
        !strcasecmp(v, "nie") || !strcasecmp(v, "nu") || !strcasecmp(v, "nem"))
        return 0;
    return -1;
}

static void customer_row(struct import *im, char **fields, int n, const int *col, long line)
{
    struct cli *c = im->c;
    struct store_profile p = { .consent = 0 };
    p.name = field(fields, n, col[0]);
    p.phone = field(fields, n, col[1]);
    p.email = field(fields, n, col[2]);
    p.birthday = field(fields, n, col[3]);
    const char *consent = field(fields, n, col[4]), *points = field(fields, n, col[5]),
               *stamps = field(fields, n, col[6]);
    int64_t pts = 0, stm = 0;
    char card[CARD_ID_LEN + 1], human[CARD_HUMAN_MAX], msg[1024];
    if (!p.name) {
        bad_row(im, line, _("the name is missing"));
        return;
    }
    if ((p.consent = consent_value(consent)) < 0) {
        bad_row(im, line, _("consent is yes or no"));
        return;
    }
    if ((points && decimal_parse(points, 0, 0, 1000000000, &pts) != 0) ||
        (stamps && decimal_parse(stamps, 0, 0, 1000, &stm) != 0)) {
        bad_row(im, line, _("points and stamps are whole numbers, zero or more"));
        return;
    }
    struct store_customer cu;
    for (int tries = 0;; tries++) {
        if (card_make(im->secret, card) != 0 || tries > 10) {
            bad_row(im, line, _("cannot make a card code"));
            return;
        }
        if (store_customer_by_card(c->s, card, &cu) == STORE_CARD_UNKNOWN)
            break;
    }
    p.card = card;
    if (store_customer_import(c->s, c->who.id, &p, pts, stm, &cu) != 0) {
        bad_row(im, line, store_error(c->s));
        return;
    }
    card_encode(im->secret, card, human, NULL);
    snprintf(msg, sizeof msg, "%s;%s;%s\n", human, cu.name, cu.phone);
    import_remember(im, msg);
}

static int parse_when(const char *text, int64_t *ms)
{
    int y, m, d, hh = 12, mm = 0;
    char date[11];
    if (strlen(text) < 10)
        return -1;
    memcpy(date, text, 10);
    date[10] = '\0';
    if (date_parse(date, &y, &m, &d) != 0)
        return -1;
    const char *rest = text + 10;
    if (*rest) {
        char extra;
        if (sscanf(rest, " %d:%d%c", &hh, &mm, &extra) != 2 || hh < 0 || hh > 23 || mm < 0 || mm > 59)
            return -1;
    }
    struct tm tm = { .tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d, .tm_hour = hh,
                     .tm_min = mm, .tm_isdst = -1 };
    *ms = (int64_t)mktime(&tm) * 1000;
    return 0;
}

static void transaction_row(struct import *im, char **fields, int n, const int *col, long line)
{
    struct cli *c = im->c;
    const char *who = field(fields, n, col[0]);
    if (!who)
        who = field(fields, n, col[1]);
    if (!who)
        who = field(fields, n, col[2]);
    const char *amount = field(fields, n, col[3]), *date = field(fields, n, col[4]),
               *items = field(fields, n, col[5]), *category = field(fields, n, col[6]);
    if (!who) {
        bad_row(im, line, _("no card, phone or customer to say whose purchase it is"));
        return;
    }
    struct store_customer cu;
    if (who == field(fields, n, col[1]) && !field(fields, n, col[0])) {
        /* By phone: an index seek (a search by part of the number would
         * read every customer for every row). */
        if (store_customer_by_phone(c->s, who, &cu) != 0) {
            bad_row(im, line, store_error(c->s));
            return;
        }
    } else if (cli_customer(c, who, &cu) != 0) {
        /* cli_customer prints its own reason; the line number follows it. */
        bad_row(im, line, _("customer not found (see the message above)"));
        return;
    }
    struct store_earn e = { .category = category };
    if (!amount || money_parse(amount, store_currency_digits(c->s), &e.amount) != 0 || e.amount <= 0) {
        bad_row(im, line, _("the amount is missing or not an amount like 12.50"));
        return;
    }
    int64_t when = 0, k;
    if (date && parse_when(date, &when) != 0) {
        bad_row(im, line, _("the date is not YYYY-MM-DD or YYYY-MM-DD HH:MM"));
        return;
    }
    if (when > time(NULL) * (int64_t)1000) {
        bad_row(im, line, _("the date is in the future"));
        return;
    }
    if (items) {
        if (decimal_parse(items, 0, 1, 1000, &k) != 0) {
            bad_row(im, line, _("items is a whole number from 1 to 1000"));
            return;
        }
        e.items = (int)k;
    }
    store_set_clock(c->s, when);
    int rc = store_earn(c->s, c->who.id, cu.id, &e, NULL);
    store_set_clock(c->s, 0);
    if (rc != 0)
        bad_row(im, line, store_error(c->s));
}

static int import_rows(store *s, void *arg)
{
    (void)s;
    struct import *im = arg;
    static const char *const CUSTOMER_COLS[] = { "name", "phone", "email", "birthday", "consent", "points", "stamps" };
    static const char *const TRANSACTION_COLS[] = { "card", "phone", "customer", "amount", "date", "items", "category" };
    const char *const *names = im->transactions ? TRANSACTION_COLS : CUSTOMER_COLS;
    struct csv *csv = csv_open(im->f, 0);
    if (!csv)
        return cli_fail(_("out of memory"));
    char **fields;
    int n, col[7], rc;
    if ((rc = csv_next(csv, &fields, &n)) != 1) {
        cli_fail("%s", rc == 0 ? _("the file is empty: it needs a header row") : csv_error(csv));
        csv_close(csv);
        return -1;
    }
    for (int i = 0; i < 7; i++) {
        col[i] = column_index(fields, n, names[i]);
        if (col[i] == -2) {
            cli_fail(_("the header row names the column '%s' twice; keep one"), names[i]);
            csv_close(csv);
            return -1;
        }
    }
    if ((!im->transactions && col[0] < 0) || (im->transactions && col[3] < 0) ||
        (im->transactions && col[0] < 0 && col[1] < 0 && col[2] < 0)) {
        cli_fail("%s", im->transactions ? _("the header row needs 'amount' and one of 'card', 'phone', 'customer'")
                                  : _("the header row needs a 'name' column"));
        csv_close(csv);
        return -1;
    }
    while ((rc = csv_next(csv, &fields, &n)) == 1) {
        im->rows++;
        if (im->transactions)
            transaction_row(im, fields, n, col, csv_line(csv));
        else
            customer_row(im, fields, n, col, csv_line(csv));
    }
    if (rc < 0) {
        /* The reader's message names its line already; the record it
         * could not read is a row with an error. */
        fprintf(stderr, "%s\n", csv_error(csv));
        im->rows++;
        im->errors++;
    }
    csv_close(csv);
    return im->errors ? -1 : 0;
}

/* Which file: its BLAKE2b, so an import interrupted after it was
 * complete is finished, not done twice, when the same file is given again.
 * A pipe can be read once only, and given again it is another file: "". */
static int file_hash(FILE *f, char out[65])
{
    struct stat st;
    out[0] = '\0';
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode))
        return 0;
    crypto_generichash_state h;
    unsigned char buf[65536], d[32];
    size_t n;
    crypto_generichash_init(&h, NULL, 0, sizeof d);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        crypto_generichash_update(&h, buf, n);
    crypto_generichash_final(&h, d, sizeof d);
    sodium_bin2hex(out, 65, d, sizeof d);
    if (ferror(f))
        return -1;
    rewind(f);
    return 0;
}

/* 'tally import finish': what a stopped import left, added or cleared. */
static int finish(struct cli *c, struct cmd_args *a)
{
    (void)a;
    int64_t added;
    bool any;
    if (store_import_finish(c->s, &added, &any) != 0)
        return cli_store_fail(c);
    if (!any)
        fputs(_("No import was left unfinished.\n"), stderr);
    else if (added > 0)
        fprintf(stderr, ngettext("The stopped import is now all in (%" PRId64 " more event).\n",
                                 "The stopped import is now all in (%" PRId64 " more events).\n", i18n_n(added)), added);
    else
        fputs(_("What a stopped import left is cleared away.\n"), stderr);
    return 0;
}

/* The file is read (and hashed) before the store opens: a file that
 * cannot be read is said before a PIN is asked, and the store's import
 * lock is let go on every way out. So this opens and logs in itself. */
static int import_file(struct cli *c, const char *path, bool transactions)
{
    struct import im = { .c = c, .transactions = transactions };
    char hash[65], finished[65];
    im.f = fopen(path, "rb");
    if (!im.f)
        return cli_fail(_("cannot read %s: %s"), path, strerror(errno));
    if (file_hash(im.f, hash) != 0) {
        fclose(im.f);
        return cli_fail(_("cannot read %s: %s"), path, strerror(errno));
    }
    store *work = NULL;
    if (cli_open(c, false) != 0 || cli_login(c, true) != 0 || store_shop_secret(c->s, im.secret) != 0 ||
        store_import_begin(c->s, hash, finished, &work) != 0) {
        fclose(im.f);
        int64_t none;
        if (c->s)
            store_import_end(c->s, NULL, false, &none);     /* lets the lock go */
        return c->s && store_error(c->s)[0] ? cli_store_fail(c) : 1;
    }
    if (finished[0])
        fprintf(stderr, "%s\n", !work
                ? _("This file's import had been interrupted after it was complete; it is now all in.")
                : _("An import interrupted after it was complete is now all in."));
    if (!work) {
        fclose(im.f);
        int64_t none;
        store_import_end(c->s, NULL, false, &none);
        return 0;
    }
    /* The rows are done on the work copy: the till's ledger is untouched
     * until the import is sealed (store_import_begin). */
    store *live = c->s;
    c->s = work;
    int rc = store_atomically(work, import_rows, &im);
    char why[512];
    snprintf(why, sizeof why, "%s", rc != 0 ? store_error(work) : "");
    c->s = live;
    fclose(im.f);
    int64_t added;
    if (store_import_end(live, work, rc == 0, &added) != 0) {
        free(im.out);
        return cli_store_fail(c);
    }
    if (rc != 0) {
        free(im.out);
        if (im.errors)
            return cli_fail(ngettext("nothing was imported: %d of %d row has errors (listed above)",
                                     "nothing was imported: %d of %d rows have errors (listed above)", i18n_n(im.rows)),
                            im.errors, im.rows);
        return why[0] ? cli_fail("%s", why) : 1;
    }
    if (im.out)
        fputs(im.out, stdout);
    free(im.out);
    fprintf(stderr, ngettext("Imported %d row.\n", "Imported %d rows.\n", i18n_n(im.rows)), im.rows);
    return 0;
}

static int import_customers(struct cli *c, struct cmd_args *a)
{
    return import_file(c, a->pos[0], false);
}

static int import_transactions(struct cli *c, struct cmd_args *a)
{
    return import_file(c, a->pos[0], true);
}

#define IMPORT_WRONG N_("say 'customers' or 'transactions' and the file: tally import customers FILE.csv")
static const struct cmd_entry IMPORT_VERBS[] = {
    { .name = "finish", .count_error = IMPORT_WRONG, .store = CMD_OPEN, .login = CMD_MANAGER, .run = finish },
    { .name = "customers", .min = 1, .max = 1, .count_error = IMPORT_WRONG, .run = import_customers },
    { .name = "transactions", .min = 1, .max = 1, .count_error = IMPORT_WRONG, .run = import_transactions },
    { 0 } };

const struct cmd_entry cmd_import_entry = {
    .name = "import", .summary = N_("import customers or transactions from a CSV file"), .usage = USAGE,
    .min = 1, .max = 2, .count_error = IMPORT_WRONG, .verbs = IMPORT_VERBS,
};
