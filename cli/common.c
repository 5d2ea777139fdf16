/* common.c - the helpers every subcommand uses. */
#include <ctype.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "i18n.h"
#include "scanner/scanner.h"
#include "sync/sync.h"
#include "util/util.h"

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    fputs("tally: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

int cli_store_fail(struct cli *c)
{
    return cli_fail("%s", store_error(c->s));
}

int cli_open(struct cli *c, bool create)
{
    char path[4096], err[1024];
    if (store_default_path(c->db_path, path, sizeof path) != 0)
        return cli_fail(_("cannot tell where the database is: give --db PATH or set TALLY_DB"));
    c->s = store_open(path, create, err, sizeof err);
    if (!c->s)
        return cli_fail("%s", err);
    if (!create && !store_is_initialised(c->s))
        return cli_fail(_("%s holds no shop yet: run 'tally init --shop NAME --currency CODE'"), path);
    return 0;
}

int cli_read_pin(const char *var, const char *prompt, char *out, size_t outsz)
{
    const char *env = getenv(var);
    if (env) {
        snprintf(out, outsz, "%s", env);
        return 0;
    }
    int fd = open("/dev/tty", O_RDWR | O_NOCTTY);
    if (fd < 0)
        return cli_fail(_("no terminal to ask for the PIN: set %s"), var);
    struct termios old, quiet;
    bool tty = tcgetattr(fd, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(fd, TCSAFLUSH, &quiet);
    }
    if (write(fd, prompt, strlen(prompt)) < 0) {
        /* nothing to do: the read below still works */
    }
    size_t n = 0;
    char ch;
    while (n + 1 < outsz && read(fd, &ch, 1) == 1 && ch != '\n')
        out[n++] = ch;
    out[n] = '\0';
    if (tty)
        tcsetattr(fd, TCSAFLUSH, &old);
    if (write(fd, "\n", 1) < 0) {
        /* ignored */
    }
    close(fd);
    return 0;
}

int cli_login(struct cli *c, bool manager)
{
    const char *name = c->staff_name ? c->staff_name : getenv("TALLY_STAFF");
    if (!name || !*name)
        return cli_fail(_("say who you are: --staff NAME (or set TALLY_STAFF)"));
    char pin[64];
    if (cli_read_pin("TALLY_PIN", _("PIN: "), pin, sizeof pin) != 0)
        return 1;
    int rc = store_staff_login(c->s, name, pin, STORE_VIA_CLI, NULL, &c->who);
    memset(pin, 0, sizeof pin);
    if (rc != 0)
        return cli_store_fail(c);
    if (manager && c->who.role != ROLE_MANAGER)
        return cli_fail(_("this needs a manager; %s is a barista"), c->who.name);
    return 0;
}

static bool all_hex(const char *t, size_t n)
{
    if (strlen(t) != n)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!isxdigit((unsigned char)t[i]) || isupper((unsigned char)t[i]))
            return false;
    return true;
}

struct phone_hit { struct store_customer *out; int n; const char *digits; };

static int phone_match(const struct store_customer *cu, void *arg)
{
    struct phone_hit *h = arg;
    const char *p = cu->phone;
    size_t lp = strlen(p), ld = strlen(h->digits);
    /* Match the number with or without its country code. */
    if (lp >= ld && strcmp(p + lp - ld, h->digits) == 0) {
        if (h->n++ == 0)
            *h->out = *cu;
    }
    return 0;
}

int cli_customer(struct cli *c, const char *text, struct store_customer *out)
{
    unsigned char secret[STORE_SECRET_BYTES];
    char id[CARD_ID_LEN + 1];
    if (store_shop_secret(c->s, secret) != 0)
        return cli_store_fail(c);
    enum card_verdict v = card_parse(text, strlen(text), secret, id);
    if (v == CARD_OK) {
        enum store_card_state st = store_customer_by_card(c->s, id, out);
        return st == STORE_CARD_ACTIVE ? 0 : cli_store_fail(c);
    }
    if (v != CARD_NOT_TALLY)
        return cli_fail("%s", card_verdict_message(v));
    if (all_hex(text, STORE_ID_LEN)) {
        if (store_customer_get(c->s, text, out) != 0)
            return cli_store_fail(c);
        if (out->forgotten)
            return cli_fail(_("this customer asked to be forgotten"));
        return 0;
    }
    char digits[40];
    size_t n = 0;
    for (const char *p = text; *p && n + 1 < sizeof digits; p++) {
        if (isdigit((unsigned char)*p))
            digits[n++] = *p;
        else if (!strchr("+ -./()", *p))
            break;
    }
    digits[n] = '\0';
    if (n >= 6 && n == strspn(digits, "0123456789")) {
        struct phone_hit h = { out, 0, digits };
        if (store_customer_find(c->s, digits, 50, phone_match, &h) < 0)
            return cli_store_fail(c);
        if (h.n == 1)
            return 0;
        if (h.n > 1)
            return cli_fail(_("several customers match %s; use their card or 'tally customer find'"), text);
        return cli_fail(_("no customer with the phone number %s"), text);
    }
    return cli_fail(_("'%s' is not a card code, phone number or customer id; try 'tally customer find'"), text);
}

int cli_money(struct cli *c, const char *text, int64_t *out)
{
    if (money_parse(text, store_currency_digits(c->s), out) != 0 || *out <= 0)
        return cli_fail(ngettext("'%s' is not an amount: give it like 12.50 or 12,50 (at most %d decimal)",
                                 "'%s' is not an amount: give it like 12.50 or 12,50 (at most %d decimals)",
                                 i18n_n(store_currency_digits(c->s))), text, store_currency_digits(c->s));
    return 0;
}

const char *cli_amount(struct cli *c, int64_t minor, char buf[MONEY_BUFSZ])
{
    money_format(minor, store_currency(c->s), c->lang, buf, MONEY_BUFSZ);
    return buf;
}

struct jbuf *cli_list_begin(struct cli *c, struct jbuf *jb)
{
    jb_init(jb);
    jb_arr_begin(jb);
    return c->json ? jb : NULL;
}

int cli_list_end(struct cli *c, struct jbuf *jb, int rc)
{
    if (rc != 0) {
        jb_free(jb);
        return cli_store_fail(c);
    }
    jb_arr_end(jb);
    if (c->json)
        return cli_print_json(jb);
    jb_free(jb);
    return 0;
}

int cli_print_json(struct jbuf *jb)
{
    const char *doc = jb_result(jb);
    if (!doc) {
        jb_free(jb);
        return cli_fail(_("out of memory"));
    }
    printf("%s\n", doc);
    jb_free(jb);
    return 0;
}

void cli_time(int64_t ms, char *out, size_t outsz)
{
    time_t t = (time_t)(ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    strftime(out, outsz, "%Y-%m-%d %H:%M", &tm);
}

static int count_other(const struct store_till *t, void *arg)
{
    void **a = arg;
    if (strcmp(t->origin, store_origin(a[0])) != 0)
        (*(int *)a[1])++;
    return 0;
}

bool cli_offline(struct cli *c, char *describe, size_t describesz)
{
    char db[4096], buf[160], v[32];
    int others = 0;
    void *arg[2] = { c->s, &others };
    store_till_list(c->s, false, count_other, arg);
    if (!describe) {
        describe = buf;
        describesz = sizeof buf;
    }
    bool offline = false;
    struct sync_status st;
    if (others == 0) {
        snprintf(describe, describesz, "%s", _("the only till of the shop"));
    } else if (store_default_path(c->db_path, db, sizeof db) != 0 || sync_status_read(db, &st) != 0 || !st.running) {
        snprintf(describe, describesz, "%s", _("OFFLINE: sync is not running"));
        offline = true;
    } else {
        store_setting_get(c->s, "offline.after_minutes", v, sizeof v);
        int64_t window = strtoll(v, NULL, 10) * 60000, last = 0;
        int online = 0;
        for (int i = 0; i < st.npeers; i++) {
            online += st.peers[i].connected;
            if (st.peers[i].last_heard > last)
                last = st.peers[i].last_heard;
        }
        int64_t ago = last ? st.updated - last : -1;
        if (online)
            snprintf(describe, describesz, ngettext("%d of %d other till online", "%d of %d other tills online",
                                                    i18n_n(st.npeers)), online, st.npeers);
        else if (ago < 0)
            snprintf(describe, describesz, "%s", _("OFFLINE: no other till heard yet"));
        else if (ago < 3600000)
            snprintf(describe, describesz, _("OFFLINE: last sync %d min ago"), (int)(ago / 60000));
        else
            snprintf(describe, describesz, _("OFFLINE: last sync %d h ago"), (int)(ago / 3600000));
        offline = !online && (ago < 0 || ago > window);
    }
    store_set_offline(c->s, offline);
    return offline;
}
