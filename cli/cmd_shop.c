/* cmd_shop.c - the shop and its program: init, program, staff, reward,
 * promo, expire, events, digest. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "i18n.h"
#include "output.h"

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

static int init_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    if (!cmd_opt(a, "shop") || !cmd_opt(a, "currency"))
        return cli_fail(_("give the shop's name and currency: tally init --shop NAME --currency CODE"));
    return 0;
}

static int init(struct cli *c, struct cmd_args *a)
{
    const char *manager = cmd_opt(a, "manager");
    char path[4096];
    store_default_path(c->db_path, path, sizeof path);  /* it opened: the path is known */
    if (store_init_shop(c->s, cmd_opt(a, "shop"), cmd_opt(a, "currency")) != 0)
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
        jb_key_str(&jb, "shop", store_shop_name(c->s));
        jb_key_str(&jb, "currency", store_currency(c->s));
        jb_key_str(&jb, "till", store_origin(c->s));
        jb_key_str(&jb, "database", path);
        jb_obj_end(&jb);
        return cli_print_json(&jb);
    }
    printf(_("Created shop \"%s\" (%s) in %s\nThis till is %s.\n"), store_shop_name(c->s),
           store_currency(c->s), path, store_origin(c->s));
    if (!manager)
        printf(_("Next: add the first manager with 'tally staff add NAME --role manager'.\n"));
    return 0;
}

const struct cmd_entry cmd_init_entry = {
    .name = "init", .summary = N_("create a new shop in a new database"),
    .usage = N_("Usage: tally init --shop NAME --currency CODE [--manager NAME]\n\n"
        "Creates a new shop: its id and secret (for card codes), this till's\n"
        "identity and key pair, and the database (mode 0600). With --manager,\n"
        "also the first manager, whose PIN comes from $TALLY_NEW_PIN or is asked.\n"
        "Currencies: PLN, RON, HUF, EUR, CZK, GBP, CHF and other ISO 4217 codes.\n"),
    .options = "shop= currency= manager=", .check = init_check, .store = CMD_CREATE, .run = init,
};

static int program_set(struct cli *c, struct cmd_args *a)
{
    if (store_setting_set(c->s, c->who.id, a->pos[0], a->pos[1]) != 0)
        return cli_store_fail(c);
    char v[1024];
    store_setting_get(c->s, a->pos[0], v, sizeof v);
    if (!c->json)
        printf(_("%s is now %s\n"), a->pos[0], v);
    return 0;
}

static int program_show(struct cli *c, struct cmd_args *a)
{
    (void)a;
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
            jb_key_str(&jb, info->key, v);
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

static const struct cmd_entry PROGRAM_VERBS[] = {
    { .name = "show", .max = -1, .store = CMD_OPEN, .run = program_show },
    { .name = "set", .min = 2, .max = 2, .count_error = N_("give a key and a value: tally program set KEY VALUE"),
      .store = CMD_OPEN, .login = CMD_MANAGER, .run = program_set },
    { 0 } };

const struct cmd_entry cmd_program_entry = {
    .name = "program", .summary = N_("show or change the loyalty program's rules"),
    .usage = N_("Usage: tally program show\n"
        "       tally program set KEY VALUE     (manager)\n\n"
        "Shows or changes the loyalty program. Every change is an event and\n"
        "reaches the other tills. 'tally program show' lists every key with\n"
        "what it means.\n"),
    .min = 1, .max = 3, .count_error = N_("say 'show' or 'set KEY VALUE'; see 'tally program --help'"),
    .verbs = PROGRAM_VERBS,
};

struct staff_out { struct cli *c; struct jbuf *jb; struct out *o; };

static const struct out_col STAFF_COLS[] = {
    { "name", NULL, OUT_TEXT, false }, { "role", NULL, OUT_TEXT, false }, { "state", NULL, OUT_TEXT, false },
};
static const int STAFF_WIDTHS[] = { 30, 10, 0 };

/* A manager's action on one named thing: act, say it is done. */
__attribute__((format(printf, 4, 0)))
static int by_manager(struct cli *c, int (*act)(store *, const char *, const char *), const char *name,
                      const char *done)
{
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
        jb_key_str(jb, "id", m->id);
        jb_key_str(jb, "name", m->name);
        jb_key_str(jb, "role", m->role == ROLE_MANAGER ? "manager" : "barista");
        jb_key_bool(jb, "disabled", m->disabled);
        jb_key_int(jb, "wrong_pins", g.failures);      /* in a row, at this till */
        jb_key_bool(jb, "locked", g.locked);
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
        out_row(so->o, (struct out_val[]){ { 0, m->name }, { 0, role_name(m->role) }, { 0, state } });
    }
    return 0;
}

static int staff_list(struct cli *c, struct cmd_args *a)
{
    (void)a;
    struct jbuf jb;
    struct out o;
    struct staff_out so = { c, cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, STAFF_COLS, STAFF_WIDTHS, NCOLS(STAFF_COLS));
    return out_list_end(&o, &jb, store_staff_list(c->s, print_staff, &so));
}

/* --role, into a->number[0]. */
static int staff_add_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *role = cmd_opt(a, "role");
    if (!role || strcmp(role, "barista") == 0)
        a->number[0] = ROLE_BARISTA;
    else if (strcmp(role, "manager") == 0)
        a->number[0] = ROLE_MANAGER;
    else
        return cli_fail(_("--role is 'barista' or 'manager'")), 2;
    return 0;
}

static int staff_add(struct cli *c, struct cmd_args *a)
{
    /* The very first member of a shop (a manager) needs no login. */
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
    if (store_staff_add(c->s, by, a->pos[0], (enum store_role)a->number[0], pin, &m) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Added %s (%s).\n"), m.name, role_name(m.role));
    return 0;
}

static int staff_disable(struct cli *c, struct cmd_args *a)
{
    return by_manager(c, store_staff_disable, a->pos[0], _("%s can no longer log in.\n"));
}

static int staff_unlock(struct cli *c, struct cmd_args *a)
{
    return by_manager(c, store_staff_unlock, a->pos[0], _("%s may log in at this till again.\n"));
}

#define NAMED(what) .min = 1, .max = 1, .count_error = what
static const struct cmd_entry STAFF_VERBS[] = {
    { .name = "list", .max = -1, .run = staff_list },
    { .name = "add", NAMED(N_("give the staff member's name")), .check = staff_add_check, .run = staff_add },
    { .name = "disable", NAMED(N_("give the staff member's name")), .login = CMD_MANAGER, .run = staff_disable },
    { .name = "unlock", NAMED(N_("give the staff member's name")), .login = CMD_MANAGER, .run = staff_unlock },
    { 0 } };

const struct cmd_entry cmd_staff_entry = {
    .name = "staff", .summary = N_("add, list or disable staff members"),
    .usage = N_("Usage: tally staff add NAME [--role barista|manager]   (manager)\n"
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
        "recorded (whose name, where, when; never the PIN): 'tally report staff'.\n"),
    .options = "role=", .min = 1, .max = 2,
    .count_error = N_("say 'add', 'list', 'disable' or 'unlock'; see 'tally staff --help'"),
    .store = CMD_OPEN, .verbs = STAFF_VERBS,
};

/* The tables of 'reward list' and 'promo list': the last cell is the rest
 * of the line as it always was, unpadded. */
static const struct out_col LISTING_COLS[] = {
    { "id", NULL, OUT_TEXT, false }, { "name", NULL, OUT_TEXT, false }, { "price", NULL, OUT_TEXT, false },
    { "rest", NULL, OUT_TEXT, false },
};
static const int REWARD_WIDTHS[] = { 8, 32, 14, 0 };

struct reward_out { struct jbuf *jb; struct out *o; };

static int print_reward(const struct store_reward *r, void *arg)
{
    struct reward_out *ro = arg;
    struct jbuf *jb = ro->jb;
    if (jb) {
        jb_obj_begin(jb);
        jb_key_str(jb, "id", r->id);
        jb_key_str(jb, "name", r->name);
        jb_key_int(jb, "points", r->points);
        jb_key_int(jb, "stamps", r->stamps);
        jb_key_bool(jb, "retired", r->retired);
        jb_key_str(jb, "tier", r->tier);
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
    char rest[256];
    snprintf(rest, sizeof rest, "%s%s%s", perk, perk[0] && r->retired ? "  " : "", r->retired ? _("retired") : "");
    out_row(ro->o, (struct out_val[]){ { 0, r->id }, { 0, r->name }, { 0, price }, { 0, rest } });
    return 0;
}

static int reward_list(struct cli *c, struct cmd_args *a)
{
    struct jbuf jb;
    struct out o;
    struct reward_out ro = { cli_list_begin(c, &jb), &o };
    out_begin_plain(&o, c, LISTING_COLS, REWARD_WIDTHS, NCOLS(LISTING_COLS));
    return out_list_end(&o, &jb, store_reward_list(c->s, cmd_flag(a, "all"), print_reward, &ro));
}

static int reward_add(struct cli *c, struct cmd_args *a)
{
    const char *points = cmd_opt(a, "points"), *stamps = cmd_opt(a, "stamps");
    int64_t p = 0, st = 0;
    if (points && decimal_parse(points, 0, 1, 1000000000, &p) != 0)
        return cli_fail(_("--points takes a whole number greater than zero")), 2;
    if (stamps && decimal_parse(stamps, 0, 1, 1000, &st) != 0)
        return cli_fail(_("--stamps takes a whole number from 1 to 1000")), 2;
    struct store_reward r;
    if (store_reward_add_tier(c->s, c->who.id, a->pos[0], p, st, cmd_opt(a, "tier"), &r) != 0)
        return cli_store_fail(c);
    if (!c->json && r.tier[0])
        printf(_("Added reward %s (%s) for %s and above.\n"), r.name, r.id, r.tier);
    else if (!c->json)
        printf(_("Added reward %s (%s).\n"), r.name, r.id);
    return 0;
}

static int reward_retire(struct cli *c, struct cmd_args *a)
{
    return by_manager(c, store_reward_retire, a->pos[0], _("Retired %s.\n"));
}

static const struct cmd_entry REWARD_VERBS[] = {
    { .name = "list", .max = -1, .run = reward_list },
    { .name = "add", NAMED(N_("give the reward's name")), .login = CMD_MANAGER, .run = reward_add },
    { .name = "retire", NAMED(N_("give the reward's name")), .login = CMD_MANAGER, .run = reward_retire },
    { 0 } };

const struct cmd_entry cmd_reward_entry = {
    .name = "reward", .summary = N_("add, list or retire rewards in the catalog"),
    .usage = N_("Usage: tally reward add NAME --points N | --stamps N [--tier TIER]   (manager)\n"
        "       tally reward list [--all]\n"
        "       tally reward retire REWARD                     (manager)\n\n"
        "The rewards catalog. A reward is priced in points or in stamps; a stamp\n"
        "card is a reward priced in stamps (e.g. 'Free coffee' --stamps 10).\n"
        "--tier makes it a perk: only members of that tier and the tiers above it\n"
        "(by spend, the 'tiers' setting) may redeem it, e.g.\n"
        "  tally reward add 'Free upgrade to a large coffee' --points 1 --tier Gold\n"
        "Retired rewards can no longer be redeemed; --all lists them too.\n"),
    .options = "points= stamps= tier= all", .min = 1, .max = 2,
    .count_error = N_("say 'add', 'list' or 'retire'; see 'tally reward --help'"),
    .store = CMD_OPEN, .verbs = REWARD_VERBS,
};

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

/* "×1,5" takes 6 columns: the sign and the multiplier's five. */
static const int PROMO_WIDTHS[] = { 8, 26, 6, 0 };

struct promo_out { struct jbuf *jb; const char *lang; struct out *o; };

static int print_promo(const struct store_promo *p, void *arg)
{
    const struct promo_out *po = arg;
    struct jbuf *jb = po->jb;
    if (jb) {
        jb_obj_begin(jb);
        jb_key_str(jb, "id", p->id);
        jb_key_str(jb, "name", p->name);
        jb_key_int(jb, "multiplier_milli", p->multiplier_milli);
        jb_key_int(jb, "days", p->days);
        jb_key_int(jb, "start_minute", p->start_minute);
        jb_key_int(jb, "end_minute", p->end_minute);
        jb_key_str(jb, "from", p->from);
        jb_key_str(jb, "to", p->to);
        jb_key_str(jb, "category", p->category);
        jb_key_bool(jb, "ended", p->ended);
        jb_key_str(jb, "tier", p->tier);
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
    char times[64], rest[512];
    snprintf(times, sizeof times, "×%s", mult);
    snprintf(rest, sizeof rest, "%s %02d:%02d-%02d:%02d %s%s%s %s %s%s%s", days[0] ? days : _("every day"),
             p->start_minute / 60, p->start_minute % 60, p->end_minute / 60, p->end_minute % 60,
             p->from, p->from[0] || p->to[0] ? ".." : "", p->to, p->category, perk,
             perk[0] && p->ended ? " " : "", p->ended ? _("ended") : "");
    out_row(po->o, (struct out_val[]){ { 0, p->id }, { 0, p->name }, { 0, times }, { 0, rest } });
    return 0;
}

static int promo_list(struct cli *c, struct cmd_args *a)
{
    struct jbuf jb;
    struct out o;
    struct promo_out po = { cli_list_begin(c, &jb), c->lang, &o };
    out_begin_plain(&o, c, LISTING_COLS, PROMO_WIDTHS, NCOLS(LISTING_COLS));
    return out_list_end(&o, &jb, store_promo_list(c->s, cmd_flag(a, "all"), print_promo, &po));
}

/* The multiplier, days and times, into a->number[0..3]. */
static int promo_add_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *mult = cmd_opt(a, "multiplier"), *days = cmd_opt(a, "days");
    const char *from_time = cmd_opt(a, "from-time"), *to_time = cmd_opt(a, "to-time");
    int d = 0, start = 0, end = 1440;
    if (!mult || decimal_parse(mult, 3, 1001, 10000, &a->number[0]) != 0)
        return cli_fail(_("--multiplier is more than 1 and at most 10, e.g. 2 or 1.5")), 2;
    if (days && parse_days(days, &d) != 0)
        return cli_fail(_("--days is a list like mon,tue,sat")), 2;
    if ((from_time && parse_minute(from_time, &start) != 0) || (to_time && parse_minute(to_time, &end) != 0))
        return cli_fail(_("give times as HH:MM, e.g. 16:00")), 2;
    a->number[1] = d;
    a->number[2] = start;
    a->number[3] = end;
    return 0;
}

static int promo_add(struct cli *c, struct cmd_args *a)
{
    const char *start = cmd_opt(a, "start"), *end = cmd_opt(a, "end");
    const char *category = cmd_opt(a, "category"), *tier = cmd_opt(a, "tier");
    struct store_promo p = { .multiplier_milli = a->number[0], .days = (int)a->number[1],
                             .start_minute = (int)a->number[2], .end_minute = (int)a->number[3] };
    snprintf(p.name, sizeof p.name, "%s", a->pos[0]);
    snprintf(p.from, sizeof p.from, "%s", start ? start : "");
    snprintf(p.to, sizeof p.to, "%s", end ? end : "");
    snprintf(p.category, sizeof p.category, "%s", category ? category : "");
    snprintf(p.tier, sizeof p.tier, "%s", tier ? tier : "");
    struct store_promo out;
    if (store_promo_add(c->s, c->who.id, &p, &out) != 0)
        return cli_store_fail(c);
    if (!c->json)
        printf(_("Added promotion %s (%s).\n"), out.name, out.id);
    return 0;
}

static int promo_end(struct cli *c, struct cmd_args *a)
{
    return by_manager(c, store_promo_end, a->pos[0], _("Ended %s.\n"));
}

static const struct cmd_entry PROMO_VERBS[] = {
    { .name = "list", .max = -1, .run = promo_list },
    { .name = "add", NAMED(N_("give the promotion's name")), .check = promo_add_check, .login = CMD_MANAGER,
      .run = promo_add },
    { .name = "end", NAMED(N_("give the promotion's name")), .login = CMD_MANAGER, .run = promo_end },
    { 0 } };

const struct cmd_entry cmd_promo_entry = {
    .name = "promo", .summary = N_("add, list or end timed promotions"),
    .usage = N_("Usage: tally promo add NAME --multiplier X [--days mon,tue,...]\n"
        "                 [--from-time HH:MM --to-time HH:MM] [--start DATE] [--end DATE]\n"
        "                 [--category CATEGORY] [--tier TIER]    (manager)\n"
        "       tally promo list [--all]\n"
        "       tally promo end PROMO                            (manager)\n\n"
        "A timed promotion multiplies the points of purchases made while it runs,\n"
        "in the till's local time, e.g. double points on Tuesdays 16:00-18:00:\n"
        "  tally promo add 'Happy hour' --multiplier 2 --days tue --from-time 16:00 --to-time 18:00\n"
        "When several run at once the highest multiplier counts (at most 10).\n"
        "--tier makes it a perk: it counts only for members of that tier and the\n"
        "tiers above it, as they stand before the purchase.\n"),
    .options = "multiplier= days= from-time= to-time= start= end= category= tier= all", .min = 1, .max = 2,
    .count_error = N_("say 'add', 'list' or 'end'; see 'tally promo --help'"),
    .store = CMD_OPEN, .verbs = PROMO_VERBS,
};

static int expire(struct cli *c, struct cmd_args *a)
{
    int64_t total = 0;
    if (store_expire(c->s, a->cu ? a->cu->id : NULL, &total) != 0)
        return cli_store_fail(c);
    if (c->json)
        printf("{\"expired_points\":%" PRId64 "}\n", total);
    else
        printf(ngettext("%" PRId64 " point expired.\n", "%" PRId64 " points expired.\n", i18n_n(total)), total);
    return 0;
}

const struct cmd_entry cmd_expire_entry = {
    .name = "expire", .summary = N_("expire points that are too old"),
    .usage = N_("Usage: tally expire [CARD]\n\n"
        "Expires points older than points.expire_days that were not spent since,\n"
        "oldest first, for one customer or for everyone. Tills also do this by\n"
        "themselves whenever a customer's card is used.\n"),
    .max = 1, .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true, .run = expire,
};

struct event_print { struct cli *c; struct jbuf *jb; };

static int print_event(const struct store_event *ev, void *arg)
{
    struct event_print *p = arg;
    char ref[48], when[32], amount[MONEY_BUFSZ];
    snprintf(ref, sizeof ref, "%s:%" PRId64, ev->origin, ev->seq);
    if (p->jb) {
        struct jbuf *jb = p->jb;
        jb_obj_begin(jb);
        jb_key_str(jb, "event", ref);
        jb_key_int(jb, "hlc", ev->hlc);
        jb_key_int(jb, "wall", ev->wall);
        jb_key_str(jb, "type", ev->type);
        jb_key_str(jb, "staff", ev->staff);
        jb_key_str(jb, "customer", ev->customer);
        jb_key_int(jb, "points", ev->points);
        jb_key_int(jb, "stamps", ev->stamps);
        jb_key_money(jb, "credit", ev->credit, store_currency_digits(p->c->s));
        jb_key_money(jb, "spend", ev->spend, store_currency_digits(p->c->s));
        if (ev->ref_origin[0]) {
            char r[48];
            snprintf(r, sizeof r, "%s:%" PRId64, ev->ref_origin, ev->ref_seq);
            jb_key_str(jb, "ref", r);
        }
        jb_key_str(jb, "occasion", ev->occasion);
        jb_key_str(jb, "reason", ev->reason);
        jb_key(jb, "data");
        jb_raw(jb, ev->data);
        jb_obj_end(jb);
        return 0;
    }
    cli_time(ev->wall, when, sizeof when);
    char effect[64];
    const char *type = store_event_type_text(ev->type);
    /* Printed as it is read (a whole log can be millions of lines: not
     * through cli/output.c, which holds a table until its widths are
     * known), padded by terminal columns ("zł" is 3 bytes in 2). */
    const char *sum = ev->spend ? cli_amount(p->c, ev->spend, amount) : "";
    printf("%-14s %s %-*s %-12s %s %*s %s\n", ref, when, 16 + (int)strlen(type) - utf8_width(type), type,
           ev->customer, store_effect_text(ev, effect, sizeof effect), 12 + (int)strlen(sum) - utf8_width(sum), sum,
           store_reason_text(ev->reason));
    return 0;
}

/* --limit, into a->number[0]. */
static int events_check(struct cli *c, struct cmd_args *a)
{
    (void)c;
    const char *limit = cmd_opt(a, "limit");
    a->number[0] = 50;
    if (limit && decimal_parse(limit, 0, 0, 100000000, &a->number[0]) != 0)
        return cli_fail(_("--limit takes a whole number (0: all)")), 2;
    return 0;
}

static int events(struct cli *c, struct cmd_args *a)
{
    struct store_event_filter f = { .type = cmd_opt(a, "type"), .limit = (int)a->number[0],
                                    .customer = a->cu ? a->cu->id : NULL };
    struct jbuf jb;
    struct event_print p = { c, cli_list_begin(c, &jb) };
    return cli_list_end(c, &jb, store_list_events(c->s, &f, print_event, &p));
}

const struct cmd_entry cmd_events_entry = {
    .name = "events", .summary = N_("list the event log"),
    .usage = N_("Usage: tally events [--customer CARD] [--type TYPE] [--limit N]\n\n"
        "The event log, newest first: every change any till made. Each event is\n"
        "named TILL:SEQ; use that name with refund and void.\n"),
    .options = "customer= type= limit=", .check = events_check, .store = CMD_OPEN, .customer_opt = "customer",
    .run = events,
};

static int digest(struct cli *c, struct cmd_args *a)
{
    (void)a;
    char d[65];
    if (store_digest(c->s, d) != 0)
        return cli_store_fail(c);
    if (c->json)
        printf("{\"digest\":\"%s\",\"events\":%" PRId64 "}\n", d, store_event_count(c->s));
    else
        printf("%s %" PRId64 "\n", d, store_event_count(c->s));
    return 0;
}

const struct cmd_entry cmd_digest_entry = {
    .name = "digest", .summary = N_("print one hash of the ledger's state, equal on tills in sync"),
    .usage = N_("Usage: tally digest\n\n"
        "One hash of the ledger's derived state (balances, customers, program).\n"
        "Two tills holding the same events print the same digest.\n"),
    .store = CMD_OPEN, .run = digest,
};
