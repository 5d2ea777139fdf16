/* test_command.c - unit tests for cli/command.c: how a command's entry is
 * run. The store, the login and the customer lookup are replaced by fakes
 * that write down what was asked of them, so each test can say in which
 * order the steps came and which never came. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

/* The unit under test; its neighbours in cli/ are the fakes below. */
#include "cli/command.c"

static char steps[512];        /* "open login customer:X run" */
static char said[512];         /* the last cli_fail message */
static bool refuse_login;
static int dummy_store;

static void step(const char *fmt, ...)
{
    va_list ap;
    size_t n = strlen(steps);
    if (n)
        steps[n++] = ' ';
    va_start(ap, fmt);
    vsnprintf(steps + n, sizeof steps - n, fmt, ap);
    va_end(ap);
}

int cli_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(said, sizeof said, fmt, ap);
    va_end(ap);
    step("fail");
    return 1;
}

int cli_open(struct cli *c, bool create)
{
    step(create ? "create" : "open");
    c->s = (store *)&dummy_store;
    return 0;
}

int cli_login(struct cli *c, bool manager)
{
    step(manager ? "manager" : "staff");
    return refuse_login ? 1 : (c->who.role = manager ? ROLE_MANAGER : ROLE_BARISTA, 0);
}

int cli_customer(struct cli *c, const char *text, struct store_customer *out)
{
    (void)c;
    step("customer:%s", text);
    if (strcmp(text, "nobody") == 0)
        return 1;
    snprintf(out->id, sizeof out->id, "%s", text);
    return 0;
}

static struct cmd_args seen;   /* what the last run() got, kept past cmd_run */
static const char *seen_pos[16];
static struct store_customer seen_customer;

static int record_run(struct cli *c, struct cmd_args *a)
{
    (void)c;
    seen = *a;
    for (int i = 0; i < a->n && i < 16; i++)
        seen_pos[i] = a->pos[i];
    seen.pos = seen_pos;
    if (a->cu) {
        seen_customer = *a->cu;
        seen.cu = &seen_customer;
    }
    step("run");
    return 0;
}

static int check_fails(struct cli *c, struct cmd_args *a)
{
    (void)c;
    (void)a;
    step("check");
    return 2;
}

static int check_reads(struct cli *c, struct cmd_args *a)
{
    (void)c;
    step("check");
    a->number[0] = 42;
    return 0;
}

static int setup(void **state)
{
    (void)state;
    steps[0] = said[0] = '\0';
    refuse_login = false;
    memset(&seen, 0, sizeof seen);
    return 0;
}

/* Runs e on the words of line (at most 16), the command's name first,
 * with a fresh c. */
static int run(struct cli *c, const struct cmd_entry *e, const char *line)
{
    static char buf[512];
    *c = (struct cli){ 0 };
    static char *argv[17];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *save = NULL, *w = strtok_r(buf, " ", &save); w && argc < 16; w = strtok_r(NULL, " ", &save))
        argv[argc++] = w;
    argv[argc] = NULL;
    return cmd_run(c, e, argc, argv);
}

static const struct cmd_entry EARN = {
    .name = "earn", .usage = "Usage", .options = "items= category= all", .min = 2, .max = 2,
    .count_error = "give a card and an amount", .store = CMD_OPEN, .login = CMD_STAFF, .customer_arg = true,
    .run = record_run,
};

static void test_options_and_positionals(void **state)
{
    (void)state;
    struct cli c = { 0 };
    assert_int_equal(run(&c, &EARN, "earn CARD -5 --items 3 --category=food --all --db x.db --format json"), 0);
    assert_int_equal(seen.n, 2);
    assert_string_equal(seen.pos[1], "-5");     /* a negative number, not an option */
    assert_string_equal(cmd_opt(&seen, "items"), "3");
    assert_string_equal(cmd_opt(&seen, "category"), "food");
    assert_true(cmd_flag(&seen, "all"));
    assert_string_equal(c.db_path, "x.db");
    assert_true(c.json);
    setup(state);
    assert_int_equal(run(&c, &EARN, "earn CARD -- --items"), 0);
    assert_string_equal(seen.pos[1], "--items");    /* after --, only positionals */
    assert_null(cmd_opt(&seen, "items"));
    assert_false(cmd_flag(&seen, "all"));
}

static void test_mistakes_are_said_before_anything_opens(void **state)
{
    (void)state;
    static const struct { const char *line, *says; } cases[] = {
        { "earn CARD", "give a card and an amount" },
        { "earn A B C", "unexpected argument 'C'; see 'tally earn --help'" },
        { "earn A B --bogus", "unknown option '--bogus'; see 'tally earn --help'" },
        { "earn A B -x", "unknown option '-x'; see 'tally earn --help'" },
        { "earn A B --items", "option '--items' needs a value" },
        { "earn A B --all=yes", "option '--all' takes no value" },
        { "earn A B --format xml", "--format is 'table' or 'json'" },
        { "earn A B --format csv", "--format is 'table' or 'json'" },
        { "earn A B --db=", "--db needs the path of a database" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct cli c = { 0 };
        setup(state);
        assert_int_equal(run(&c, &EARN, cases[i].line), 2);
        assert_string_equal(said, cases[i].says);
        assert_string_equal(steps, "fail");     /* nothing opened, nobody asked for a PIN */
    }
}

static void test_steps_come_in_order(void **state)
{
    (void)state;
    struct cli c = { 0 };
    assert_int_equal(run(&c, &EARN, "earn CARD 5"), 0);
    assert_string_equal(steps, "open staff customer:CARD run");
    assert_non_null(seen.cu);
    assert_string_equal(seen.cu->id, "CARD");

    const struct cmd_entry first = { .name = "edit", .max = 1, .store = CMD_OPEN, .login = CMD_MANAGER,
                                     .customer_arg = true, .customer_first = true, .check = check_reads,
                                     .run = record_run };
    setup(state);
    assert_int_equal(run(&c, &first, "edit CARD"), 0);
    assert_string_equal(steps, "check open customer:CARD manager run");
    assert_int_equal(seen.number[0], 42);   /* what check() read reaches run() */

    const struct cmd_entry refused = { .name = "adjust", .max = 1, .store = CMD_OPEN, .check = check_fails,
                                       .run = record_run };
    setup(state);
    assert_int_equal(run(&c, &refused, "adjust x"), 2);
    assert_string_equal(steps, "check");

    setup(state);
    refuse_login = true;
    assert_int_equal(run(&c, &EARN, "earn CARD 5"), 1);
    assert_string_equal(steps, "open staff");   /* no customer looked up for nobody */

    setup(state);
    assert_int_equal(run(&c, &EARN, "earn nobody 5"), 1);
    assert_string_equal(steps, "open staff customer:nobody");
}

static void test_required_options_and_optional_customer(void **state)
{
    (void)state;
    const struct cmd_entry voiding = { .name = "void", .options = "reason= customer=", .min = 1, .max = 1,
                                       .required = "reason", .count_error = "give the event and a reason",
                                       .store = CMD_CREATE, .customer_opt = "customer", .run = record_run };
    struct cli c = { 0 };
    assert_int_equal(run(&c, &voiding, "void EV"), 2);
    assert_string_equal(said, "give the event and a reason");
    setup(state);
    assert_int_equal(run(&c, &voiding, "void EV --reason oops"), 0);
    assert_string_equal(steps, "create run");
    assert_null(seen.cu);
    setup(state);
    assert_int_equal(run(&c, &voiding, "void EV --reason oops --customer X"), 0);
    assert_string_equal(steps, "create customer:X run");
}

static void test_login_only_with_its_flag(void **state)
{
    (void)state;
    const struct cmd_entry card = { .name = "card", .options = "replace", .max = 1, .store = CMD_OPEN,
                                    .login = CMD_MANAGER, .login_if = "replace", .customer_arg = true,
                                    .run = record_run };
    struct cli c = { 0 };
    assert_int_equal(run(&c, &card, "card X"), 0);
    assert_string_equal(steps, "open customer:X run");
    setup(state);
    assert_int_equal(run(&c, &card, "card X --replace"), 0);
    assert_string_equal(steps, "open manager customer:X run");
}

static const struct cmd_entry VERBS[] = {
    { .name = "list", .max = -1, .run = record_run },
    { .name = "redeem", .min = 1, .max = 1, .count_error = "give the coupon's code", .login = CMD_STAFF,
      .customer_opt = "card", .run = record_run },
    { 0 } };

static const struct cmd_entry COUPON = {
    .name = "coupon", .usage = "Usage", .options = "card=", .min = 1, .max = 3,
    .count_error = "say 'redeem' or 'list'", .store = CMD_OPEN, .verbs = VERBS,
};

static void test_verbs(void **state)
{
    (void)state;
    struct cli c = { 0 };
    assert_int_equal(run(&c, &COUPON, "coupon redeem CODE --card X"), 0);
    assert_string_equal(steps, "open staff customer:X run");
    assert_int_equal(seen.n, 1);                /* the verb's own positionals */
    assert_string_equal(seen.pos[0], "CODE");

    static const struct { const char *line, *steps, *says; int rc; } cases[] = {
        { "coupon", "fail", "say 'redeem' or 'list'", 2 },
        { "coupon bogus", "open fail", "say 'redeem' or 'list'", 2 },     /* the list of verbs */
        { "coupon redeem", "open fail", "give the coupon's code", 2 },
        { "coupon redeem A B", "open fail", "give the coupon's code", 2 },
        { "coupon list a b", "open run", "", 0 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        setup(state);
        assert_int_equal(run(&c, &COUPON, cases[i].line), cases[i].rc);
        assert_string_equal(steps, cases[i].steps);
        assert_string_equal(said, cases[i].says);
    }
}

static void test_csv_is_the_commands_own_format(void **state)
{
    (void)state;
    const struct cmd_entry report = { .name = "report", .max = 1, .csv = true, .run = record_run };
    struct cli c = { 0 };
    assert_int_equal(run(&c, &report, "report summary --format csv"), 0);
    assert_string_equal(seen.format, "csv");
    assert_false(c.json);       /* --format json before the command still wins */
    setup(state);
    assert_int_equal(run(&c, &report, "report summary --format pdf"), 2);
    assert_string_equal(said, "--format is 'table', 'csv' or 'json'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_options_and_positionals, setup),
        cmocka_unit_test_setup(test_mistakes_are_said_before_anything_opens, setup),
        cmocka_unit_test_setup(test_steps_come_in_order, setup),
        cmocka_unit_test_setup(test_required_options_and_optional_customer, setup),
        cmocka_unit_test_setup(test_login_only_with_its_flag, setup),
        cmocka_unit_test_setup(test_verbs, setup),
        cmocka_unit_test_setup(test_csv_is_the_commands_own_format, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
