/* cmd_shop.c - the shop and its program: init, program, staff, reward,
 * promo, expire, events, digest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"

static const char *role_name(enum store_role r)
{
    return r == ROLE_MANAGER ? _("manager") : _("barista");
}

static int new_pin(char *pin, size_t sz)
{
    char again[64];
    if (cli_read_pin("TALLY_NEW_PIN", _("New PIN (4-8 digits): "), pin, sz) != 0)
        return 1;
    if (!getenv("TALLY_NEW_PIN")) {
        if (cli_read_pin("TALLY_NEW_PIN", _("Same PIN again: "), again, sizeof again) != 0)
            return 1;
        if (strcmp(pin, again) != 0)
            return cli_fail(_("the two PINs differ; nothing was changed"));
    }
    return 0;
}

int cmd_init(struct cli *c, int argc, char **argv)
{
    const char *shop = NULL, *currency = NULL, *manager = NULL;
    const struct opt opts[] = {
        { "shop", &shop, NULL }, { "currency", &currency, NULL },
        { "manager", &manager, NULL }, { 0 } };
    const char *usage = N_("Usage: tally init --shop NAME --currency CODE [--manager NAME]\n\n"
        "Creates a new shop: its id and secret (for card codes), this till's\n"
        "identity and key pair, and the database (mode 0600). With --manager,\n"
        "also the first manager, whose PIN comes from $TALLY_NEW_PIN or is asked.\n"
        "Currencies: PLN, RON, HUF, EUR, CZK, GBP, CHF and other ISO 4217 codes.\n");
    if (cli_parse(c, argc, argv, opts, NULL, 0, usage) < 0)
        return 2;
    if (!shop || !currency)
        return cli_fail(_("give the shop's name and currency: tally init --shop NAME --currency CODE"));
    char path[4096];
    if (store_default_path(c->db_path, path, sizeof path) != 0)
        return cli_fail(_("cannot tell where the database is: give --db PATH or set TALLY_DB"));
    if (cli_open(c, true) != 0)
        return 1;
    if (store_init_shop(c->s, shop, currency) != 0)
        return cli_store_fail(c);
    if (manager) {
        char pin[64];
        if (new_pin(pin, sizeof pin) != 0)
            return 1;
        if (store_staff_add(c->s, NULL, manager, ROLE_MANAGER, pin, NULL) != 0)
            return cli_store_fail(c);
    }
    if (c->json) {
        struct jbuf jb;
        jb_init(&jb);
        jb_obj_begin(&jb);
        jb_key(&jb, "shop");
        jb_str(&jb, store_shop_name(c->s));
        jb_key(&jb, "currency");
        jb_str(&jb, store_currency(c->s));
        jb_key(&jb, "till");
        jb_str(&jb, store_origin(c->s));
        jb_key(&jb, "database");
        jb_str(&jb, path);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("Created shop \"%s\" (%s) in %s\nThis till is %s.\n"), store_shop_name(c->s),
           store_currency(c->s), path, store_origin(c->s));
    if (!manager)
        printf(_("Next: add the first manager with 'tally staff add NAME --role manager'.\n"));
    return 0;
}

int cmd_program(struct cli *c, int argc, char **argv)
{
    const char *pos[3];
    const char *usage = N_("Usage: tally program show\n"
        "       tally program set KEY VALUE     (manager)\n\n"
        "Shows or changes the loyalty program. Every change is an event and\n"
        "reaches the other tills. 'tally program show' lists every key with\n"
        "what it means.\n");
    int n = cli_parse(c, argc, argv, NULL, pos, 3, usage);
    if (n < 0)
        return 2;
    if (n == 0 || (strcmp(pos[0], "show") != 0 && strcmp(pos[0], "set") != 0))
        return cli_fail(_("say 'show' or 'set KEY VALUE'; see 'tally program --help'")), 2;
    if (cli_open(c, false) != 0)
        return 1;
    if (strcmp(pos[0], "set") == 0) {
        if (n != 3)
            return cli_fail(_("give a key and a value: tally program set KEY VALUE")), 2;
        if (cli_login(c, true) != 0)
            return 1;
        if (store_setting_set(c->s, c->who.id, pos[1], pos[2]) != 0)
            return cli_store_fail(c);
        char v[1024];
        store_setting_get(c->s, pos[1], v, sizeof v);
        if (!c->json)
            printf(_("%s is now %s\n"), pos[1], v);
        return 0;
    }
    const struct store_setting_info *info = store_settings();
    int w = 0;     /* the longest name, so every value starts in one column */
    for (const struct store_setting_info *i = info; i->key; i++)
        w = (int)strlen(i->key) > w ? (int)strlen(i->key) : w;
    struct jbuf jb;
    jb_init(&jb);
    jb_obj_begin(&jb);
    for (; info->key; info++) {
        char v[1024];
        store_setting_get(c->s, info->key, v, sizeof v);
        if (c->json) {
            jb_key(&jb, info->key);
            jb_str(&jb, v);
        } else {
            printf("%-*s %s\n", w, info->key, v);
            printf("%-*s   %s\n", w, "", _(info->help));
        }
    }
    jb_obj_end(&jb);
    if (c->json)
        return cli_print_json(&jb);
    jb_free(&jb);
    return 0;
}

struct staff_out { struct cli *c; struct jbuf *jb; };

/* A manager's action on one named thing: log in, act, say it is done. */
__attribute__((format(printf, 4, 0)))
static int by_manager(struct cli *c, int (*act)(store *, const char *, const char *), const char *name,
                      const char *done)
{
    if (cli_login(c, true) != 0)
        return 1;
    if (act(c->s, c->who.id, name) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(done, name);
    return 0;
}

static int print_staff(const struct store_staff *m, void *arg)
{
    struct staff_out *so = arg;
    struct jbuf *jb = so->jb;
    struct store_pin_guard g;
    if (store_pin_guard(so->c->s, m->id, &g) != 0)
        return -1;
    if (jb) {
        jb_obj_begin(jb);
        jb_key(jb, "id");
        jb_str(jb, m->id);
        jb_key(jb, "name");
        jb_str(jb, m->name);
        jb_key(jb, "role");
        jb_str(jb, m->role == ROLE_MANAGER ? "manager" : "barista");
        jb_key(jb, "disabled");
        jb_bool(jb, m->disabled);
        jb_key(jb, "wrong_pins");       /* in a row, at this till */
        jb_int(jb, g.failures);
        jb_key(jb, "locked");
        jb_bool(jb, g.locked);
        jb_obj_end(jb);
    } else {
        char state[160] = "", wait[32];
        if (m->disabled)
            snprintf(state, sizeof state, "%s", _("disabled"));
        else if (g.locked)
            snprintf(state, sizeof state, "%s", _("locked at this till: 'tally staff unlock' it"));
        else if (g.wait_until > store_now(so->c->s)) {
            store_wait_text(g.wait_until - store_now(so->c->s), wait, sizeof wait);
            snprintf(state, sizeof state, _("too many wrong PINs: next try in %s"), wait);
        }
        printf("%-30s %-10s %s\n", m->name, role_name(m->role), state);
    }
    return 0;
}

int cmd_staff(struct cli *c, int argc, char **argv)
{
    const char *pos[2], *role = "barista";
    const struct opt opts[] = { { "role", &role, NULL }, { 0 } };
    const char *usage = N_("Usage: tally staff add NAME [--role barista|manager]   (manager)\n"
        "       tally staff list\n"
        "       tally staff disable NAME                         (manager)\n"
        "       tally staff unlock NAME                          (manager)\n\n"
        "The new member's PIN (4-8 digits) comes from $TALLY_NEW_PIN or is asked\n"
        "twice. PINs are kept only as password hashes. The very first staff\n"
        "member of a shop must be a manager and needs no login.\n\n"
        "Wrong PINs are rationed per name at each till: after 3 in a row each\n"
        "try waits twice as long as the last (30 s, 1 min ... 32 min), and 10 in\n"
        "a row lock the name at that till until a manager unlocks it there\n"
        "(unlock, or F9 at the kiosk's login), or for a day. Every wrong PIN is\n"
        "recorded (whose name, where, when; never the PIN): 'tally report staff'.\n");
    int n = cli_parse(c, argc, argv, opts, pos, 2, usage);
    if (n < 0)
        return 2;
    if (n == 0)
        return cli_fail(_("say 'add', 'list', 'disable' or 'unlock'; see 'tally staff --help'")), 2;
    if (cli_open(c, false) != 0)
        return 1;
    if (strcmp(pos[0], "list") == 0) {
        struct jbuf jb;
        struct staff_out so = { c, cli_list_begin(c, &jb) };
        return cli_list_end(c, &jb, store_staff_list(c->s, print_staff, &so));
    }
    if (n != 2)
        return cli_fail(_("give the staff member's name")), 2;
    if (strcmp(pos[0], "add") == 0) {
        enum store_role r;
        if (strcmp(role, "barista") == 0)
            r = ROLE_BARISTA;
        else if (strcmp(role, "manager") == 0)
            r = ROLE_MANAGER;
        else
            return cli_fail(_("--role is 'barista' or 'manager'")), 2;
        const char *by = NULL;
        if (store_has_manager(c->s)) {
            if (cli_login(c, true) != 0)
                return 1;
            by = c->who.id;
        }
        char pin[64];
        struct store_staff m;
        if (new_pin(pin, sizeof pin) != 0)
            return 1;
        if (store_staff_add(c->s, by, pos[1], r, pin, &m) != 0)
            return cli_store_fail(c);
        if (!c->json)
            printf(_("Added %s (%s).\n"), m.name, role_name(m.role));
        return 0;
    }
    if (strcmp(pos[0], "disable") == 0)
        return by_manager(c, store_staff_disable, pos[1], _("%s can no longer log in.\n"));
    if (strcmp(pos[0], "unlock") == 0)
        return by_manager(c, store_staff_unlock, pos[1], _("%s may log in at this till again.\n"));
    return cli_fail(_("say 'add', 'list', 'disable' or 'unlock'; see 'tally staff --help'")), 2;
}

static int print_reward(const struct store_reward *r, void *arg)
{
    struct jbuf *jb = arg;
    if (jb) {
        jb_obj_begin(jb);
        jb_key(jb, "id");
        jb_str(jb, r->id);
        jb_key(jb, "name");
        jb_str(jb, r->name);
        jb_key(jb, "points");
        jb_int(jb, r->points);
        jb_key(jb, "stamps");
        jb_int(jb, r->stamps);
        jb_key(jb, "retired");
        jb_bool(jb, r->retired);
        jb_key(jb, "tier");
        jb_str(jb, r->tier);
        jb_obj_end(jb);
        return 0;
    }
    char price[64];
    if (r->points)
        snprintf(price, sizeof price, ngettext("%" PRId64 " point", "%" PRId64 " points", i18n_n(r->points)), r->points);
    else
        snprintf(price, sizeof price, ngettext("%" PRId64 " stamp", "%" PRId64 " stamps", i18n_n(r->stamps)), r->stamps);
    char perk[128] = "";
    if (r->tier[0])
        /* TRANSLATORS: who may redeem a reward kept for a tier: "Gold and above". */
        snprintf(perk, sizeof perk, _("%s and above"), r->tier);
    /* Padded by what the terminal shows, not by bytes: "punktów", "Pod Lipą". */
    printf("%-8s %-*s %-*s %s%s%s\n", r->id, 32 + (int)strlen(r->name) - utf8_width(r->name), r->name,
           14 + (int)strlen(price) - utf8_width(price), price, perk, perk[0] && r->retired ? "  " : "",
           r->retired ? _("retired") : "");
    return 0;
}

int cmd_reward(struct cli *c, int argc, char **argv)
{
    const char *pos[2], *points = NULL, *stamps = NULL, *tier = NULL;
    bool all = false;
    const struct opt opts[] = {
        { "points", &points, NULL }, { "stamps", &stamps, NULL }, { "tier", &tier, NULL }, { "all", NULL, &all },
        { 0 } };
    const char *usage = N_("Usage: tally reward add NAME --points N | --stamps N [--tier TIER]   (manager)\n"
        "       tally reward list [--all]\n"
        "       tally reward retire REWARD                     (manager)\n\n"
        "The rewards catalog. A reward is priced in points or in stamps; a stamp\n"
        "card is a reward priced in stamps (e.g. 'Free coffee' --stamps 10).\n"
        "--tier makes it a perk: only members of that tier and the tiers above it\n"
        "(by spend, the 'tiers' setting) may redeem it, e.g.\n"
        "  tally reward add 'Free upgrade to a large coffee' --points 1 --tier Gold\n"
        "Retired rewards can no longer be redeemed; --all lists them too.\n");
    int n = cli_parse(c, argc, argv, opts, pos, 2, usage);
    if (n < 0)
        return 2;
    if (n == 0)
        return cli_fail(_("say 'add', 'list' or 'retire'; see 'tally reward --help'")), 2;
    if (cli_open(c, false) != 0)
        return 1;
    if (strcmp(pos[0], "list") == 0) {
        struct jbuf jb;
        return cli_list_end(c, &jb, store_reward_list(c->s, all, print_reward, cli_list_begin(c, &jb)));
    }
    if (n != 2)
        return cli_fail(_("give the reward's name")), 2;
    if (cli_login(c, true) != 0)
        return 1;
    if (strcmp(pos[0], "add") == 0) {
        int64_t p = 0, st = 0;
        if (points && decimal_parse(points, 0, 1, 1000000000, &p) != 0)
            return cli_fail(_("--points takes a whole number greater than zero")), 2;
        if (stamps && decimal_parse(stamps, 0, 1, 1000, &st) != 0)
            return cli_fail(_("--stamps takes a whole number from 1 to 1000")), 2;
        struct store_reward r;
        if (store_reward_add_tier(c->s, c->who.id, pos[1], p, st, tier, &r) != 0)
            return cli_store_fail(c);
        if (!c->json && r.tier[0])
            printf(_("Added reward %s (%s) for %s and above.\n"), r.name, r.id, r.tier);
        else if (!c->json)
            printf(_("Added reward %s (%s).\n"), r.name, r.id);
        return 0;
    }
    if (strcmp(pos[0], "retire") == 0) {
        if (store_reward_retire(c->s, c->who.id, pos[1]) != 0)
            return cli_store_fail(c);
        if (!c->json)
            printf(_("Retired %s.\n"), pos[1]);
        return 0;
    }
    return cli_fail(_("say 'add', 'list' or 'retire'; see 'tally reward --help'")), 2;
}

static int parse_minute(const char *t, int *out)
{
    int h, m;
    char extra;
    if (sscanf(t, "%d:%d%c", &h, &m, &extra) != 2 || h < 0 || h > 24 || m < 0 || m > 59 || (h == 24 && m))
        return -1;
    *out = h * 60 + m;
    return 0;
}

static int parse_days(const char *t, int *out)
{
    static const char *const names[] = { "mon", "tue", "wed", "thu", "fri", "sat", "sun" };
    char buf[128];
    snprintf(buf, sizeof buf, "%s", t);
    *out = 0;
    char *save = NULL;
    for (char *d = strtok_r(buf, ",", &save); d; d = strtok_r(NULL, ",", &save)) {
        int k;
        for (k = 0; k < 7 && strncasecmp(d, names[k], 3) != 0; k++)
            ;
        if (k == 7)
            return -1;
        *out |= 1 << k;
    }
    return 0;
}

struct promo_out { struct jbuf *jb; const char *lang; };

static int print_promo(const struct store_promo *p, void *arg)
{
    const struct promo_out *po = arg;
    struct jbuf *jb = po->jb;
    if (jb) {
        jb_obj_begin(jb);
        jb_key(jb, "id");
        jb_str(jb, p->id);
        jb_key(jb, "name");
        jb_str(jb, p->name);
        jb_key(jb, "multiplier_milli");
        jb_int(jb, p->multiplier_milli);
        jb_key(jb, "days");
        jb_int(jb, p->days);
        jb_key(jb, "start_minute");
        jb_int(jb, p->start_minute);
        jb_key(jb, "end_minute");
        jb_int(jb, p->end_minute);
        jb_key(jb, "from");
        jb_str(jb, p->from);
        jb_key(jb, "to");
        jb_str(jb, p->to);
        jb_key(jb, "category");
        jb_str(jb, p->category);
        jb_key(jb, "ended");
        jb_bool(jb, p->ended);
        jb_key(jb, "tier");
        jb_str(jb, p->tier);
        jb_obj_end(jb);
        return 0;
    }
    static const char *const names[] = { N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun") };
    char days[64] = "";
    for (int k = 0; k < 7; k++)
        if (p->days & (1 << k))
            snprintf(days + strlen(days), sizeof days - strlen(days), "%s%s", days[0] ? "," : "", _(names[k]));
    /* ×1,5 in Polish, ×1.5 in English: no trailing zeros. */
    int64_t m = p->multiplier_milli;
    int dec = m % 1000 == 0 ? 0 : m % 100 == 0 ? 1 : m % 10 == 0 ? 2 : 3;
    char mult[32];
    decimal_format(dec == 0 ? m / 1000 : dec == 1 ? m / 100 : dec == 2 ? m / 10 : m, dec, po->lang, mult, sizeof mult);
    char perk[128] = "";
    if (p->tier[0])
        snprintf(perk, sizeof perk, _("%s and above"), p->tier);
    printf("%-8s %-26s ×%-5s %s %02d:%02d-%02d:%02d %s%s%s %s %s%s%s\n", p->id, p->name,
           mult, days[0] ? days : _("every day"),
           p->start_minute / 60, p->start_minute % 60, p->end_minute / 60, p->end_minute % 60,
           p->from, p->from[0] || p->to[0] ? ".." : "", p->to, p->category, perk,
           perk[0] && p->ended ? " " : "", p->ended ? _("ended") : "");
    return 0;
}

int cmd_promo(struct cli *c, int argc, char **argv)
{
    const char *pos[2], *mult = NULL, *days = NULL, *from_time = NULL, *to_time = NULL,
               *start = NULL, *end = NULL, *category = NULL, *tier = NULL;
    bool all = false;
    const struct opt opts[] = {
        { "multiplier", &mult, NULL }, { "days", &days, NULL }, { "from-time", &from_time, NULL },
        { "to-time", &to_time, NULL }, { "start", &start, NULL }, { "end", &end, NULL },
        { "category", &category, NULL }, { "tier", &tier, NULL }, { "all", NULL, &all }, { 0 } };
    const char *usage = N_("Usage: tally promo add NAME --multiplier X [--days mon,tue,...]\n"
        "                 [--from-time HH:MM --to-time HH:MM] [--start DATE] [--end DATE]\n"
        "                 [--category CATEGORY] [--tier TIER]    (manager)\n"
        "       tally promo list [--all]\n"
        "       tally promo end PROMO                            (manager)\n\n"
        "A timed promotion multiplies the points of purchases made while it runs,\n"
        "in the till's local time, e.g. double points on Tuesdays 16:00-18:00:\n"
        "  tally promo add 'Happy hour' --multiplier 2 --days tue --from-time 16:00 --to-time 18:00\n"
        "When several run at once the highest multiplier counts (at most 10).\n"
        "--tier makes it a perk: it counts only for members of that tier and the\n"
        "tiers above it, as they stand before the purchase.\n");
    int n = cli_parse(c, argc, argv, opts, pos, 2, usage);
    if (n < 0)
        return 2;
    if (n == 0)
        return cli_fail(_("say 'add', 'list' or 'end'; see 'tally promo --help'")), 2;
    if (cli_open(c, false) != 0)
        return 1;
    if (strcmp(pos[0], "list") == 0) {
        struct jbuf jb;
        struct promo_out po = { cli_list_begin(c, &jb), c->lang };
        return cli_list_end(c, &jb, store_promo_list(c->s, all, print_promo, &po));
    }
    if (n != 2)
        return cli_fail(_("give the promotion's name")), 2;
    if (strcmp(pos[0], "add") == 0) {
        struct store_promo p = { .start_minute = 0, .end_minute = 1440 };
        snprintf(p.name, sizeof p.name, "%s", pos[1]);
        if (!mult || decimal_parse(mult, 3, 1001, 10000, &p.multiplier_milli) != 0)
            return cli_fail(_("--multiplier is more than 1 and at most 10, e.g. 2 or 1.5")), 2;
        if (days && parse_days(days, &p.days) != 0)
            return cli_fail(_("--days is a list like mon,tue,sat")), 2;
        if ((from_time && parse_minute(from_time, &p.start_minute) != 0) ||
            (to_time && parse_minute(to_time, &p.end_minute) != 0))
            return cli_fail(_("give times as HH:MM, e.g. 16:00")), 2;
        snprintf(p.from, sizeof p.from, "%s", start ? start : "");
        snprintf(p.to, sizeof p.to, "%s", end ? end : "");
        snprintf(p.category, sizeof p.category, "%s", category ? category : "");
        snprintf(p.tier, sizeof p.tier, "%s", tier ? tier : "");
        if (cli_login(c, true) != 0)
            return 1;
        struct store_promo out;
        if (store_promo_add(c->s, c->who.id, &p, &out) != 0)
            return cli_store_fail(c);
        if (!c->json)
            printf(_("Added promotion %s (%s).\n"), out.name, out.id);
        return 0;
    }
    if (strcmp(pos[0], "end") == 0)
        return by_manager(c, store_promo_end, pos[1], _("Ended %s.\n"));
    return cli_fail(_("say 'add', 'list' or 'end'; see 'tally promo --help'")), 2;
}

int cmd_expire(struct cli *c, int argc, char **argv)
{
    const char *pos[1];
    const char *usage = N_("Usage: tally expire [CARD]\n\n"
        "Expires points older than points.expire_days that were not spent since,\n"
        "oldest first, for one customer or for everyone. Tills also do this by\n"
        "themselves whenever a customer's card is used.\n");
    int n = cli_parse(c, argc, argv, NULL, pos, 1, usage);
    if (n < 0)
        return 2;
    if (cli_open(c, false) != 0 || cli_login(c, false) != 0)
        return 1;
    struct store_customer cu;
    if (n == 1 && cli_customer(c, pos[0], &cu) != 0)
        return 1;
    int64_t total = 0;
    if (store_expire(c->s, n == 1 ? cu.id : NULL, &total) != 0)
        return cli_store_fail(c);
    if (c->json)
        printf("{\"expired_points\":%" PRId64 "}\n", total);
    else
        printf(ngettext("%" PRId64 " point expired.\n", "%" PRId64 " points expired.\n", i18n_n(total)), total);
    return 0;
}

struct event_print { struct cli *c; struct jbuf *jb; };

static int print_event(const struct store_event *ev, void *arg)
{
    struct event_print *p = arg;
    char ref[48], when[32], amount[MONEY_BUFSZ];
    snprintf(ref, sizeof ref, "%s:%" PRId64, ev->origin, ev->seq);
    if (p->jb) {
        struct jbuf *jb = p->jb;
        jb_obj_begin(jb);
        jb_key(jb, "event");
        jb_str(jb, ref);
        jb_key(jb, "hlc");
        jb_int(jb, ev->hlc);
        jb_key(jb, "wall");
        jb_int(jb, ev->wall);
        jb_key(jb, "type");
        jb_str(jb, ev->type);
        jb_key(jb, "staff");
        jb_str(jb, ev->staff);
        jb_key(jb, "customer");
        jb_str(jb, ev->customer);
        jb_key(jb, "points");
        jb_int(jb, ev->points);
        jb_key(jb, "stamps");
        jb_int(jb, ev->stamps);
        jb_key(jb, "credit");
        jb_money(jb, ev->credit, store_currency_digits(p->c->s));
        jb_key(jb, "spend");
        jb_money(jb, ev->spend, store_currency_digits(p->c->s));
        if (ev->ref_origin[0]) {
            char r[48];
            snprintf(r, sizeof r, "%s:%" PRId64, ev->ref_origin, ev->ref_seq);
            jb_key(jb, "ref");
            jb_str(jb, r);
        }
        jb_key(jb, "occasion");
        jb_str(jb, ev->occasion);
        jb_key(jb, "reason");
        jb_str(jb, ev->reason);
        jb_key(jb, "data");
        jb_raw(jb, ev->data);
        jb_obj_end(jb);
        return 0;
    }
    cli_time(ev->wall, when, sizeof when);
    char effect[64];
    const char *type = store_event_type_text(ev->type);
    printf("%-14s %s %-*s %-12s %s %12s %s\n", ref, when, 16 + (int)strlen(type) - utf8_width(type), type,
           ev->customer, store_effect_text(ev, effect, sizeof effect),
           ev->spend ? cli_amount(p->c, ev->spend, amount) : "", store_reason_text(ev->reason));
    return 0;
}

int cmd_events(struct cli *c, int argc, char **argv)
{
    const char *customer = NULL, *type = NULL, *limit = NULL;
    const struct opt opts[] = {
        { "customer", &customer, NULL }, { "type", &type, NULL }, { "limit", &limit, NULL }, { 0 } };
    const char *usage = N_("Usage: tally events [--customer CARD] [--type TYPE] [--limit N]\n\n"
        "The event log, newest first: every change any till made. Each event is\n"
        "named TILL:SEQ; use that name with refund and void.\n");
    if (cli_parse(c, argc, argv, opts, NULL, 0, usage) < 0)
        return 2;
    if (cli_open(c, false) != 0)
        return 1;
    struct store_customer cu;
    struct store_event_filter f = { .type = type, .limit = 50 };
    int64_t lim;
    if (limit) {
        if (decimal_parse(limit, 0, 0, 100000000, &lim) != 0)
            return cli_fail(_("--limit takes a whole number (0: all)")), 2;
        f.limit = (int)lim;
    }
    if (customer) {
        if (cli_customer(c, customer, &cu) != 0)
            return 1;
        f.customer = cu.id;
    }
    struct jbuf jb;
    struct event_print p = { c, cli_list_begin(c, &jb) };
    return cli_list_end(c, &jb, store_list_events(c->s, &f, print_event, &p));
}

int cmd_digest(struct cli *c, int argc, char **argv)
{
    const char *usage = N_("Usage: tally digest\n\n"
        "One hash of the ledger's derived state (balances, customers, program).\n"
        "Two tills holding the same events print the same digest.\n");
    if (cli_parse(c, argc, argv, NULL, NULL, 0, usage) < 0)
        return 2;
    if (cli_open(c, false) != 0)
        return 1;
    char d[65];
    if (store_digest(c->s, d) != 0)
        return cli_store_fail(c);
    if (c->json)
        printf("{\"digest\":\"%s\",\"events\":%" PRId64 "}\n", d, store_event_count(c->s));
    else
        printf("%s %" PRId64 "\n", d, store_event_count(c->s));
    return 0;
}
