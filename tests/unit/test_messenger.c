/* test_messenger.c - unit tests for messenger/: the e-mail as it goes on
 * the wire (encoded words cut between whole characters, quoted-printable
 * lines, the stable Message-ID) and the settings file's refusals. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <sodium.h>

#include "messenger/messenger.h"
#include "util/util.h"

static const struct messenger_config CFG = { .from = "sklep@example.pl" };

static void mime(const char *subject, const char *body, char *out, size_t outsz)
{
    assert_true(messenger_mime(&CFG, "Kawiarnia Pod Lipą", "anna@example.pl", "c0ffee", "c0ffee-0123456789abcdef0123", "pl", "<x@example.pl>",
                               subject, body, 1796576732000, out, outsz) > 0);
}

/* Every encoded word of the Subject header decodes to whole UTF-8
 * characters, is at most 75 characters, and together they give the
 * subject back. */
static void test_subject_encoded_words(void **state)
{
    (void)state;
    /* Two-byte letters only: a cut every 45 bytes would split one. */
    const char *subject = "ŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁłŁł ąę – Lipą";
    static char out[16384];
    mime(subject, "x", out, sizeof out);
    char *h = strstr(out, "\r\nSubject: ") + 11, *end = strstr(h, "\r\n");
    while (end[2] == ' ')       /* folded continuation lines */
        end = strstr(end + 2, "\r\n");
    char joined[1024] = "";
    int words = 0;
    for (char *w = strstr(h, "=?UTF-8?B?"); w && w < end; w = strstr(w + 1, "=?UTF-8?B?")) {
        char *close = strstr(w + 10, "?=");
        assert_true(close - w + 2 <= 75);
        unsigned char bin[128];
        size_t len;
        assert_int_equal(sodium_base642bin(bin, sizeof bin, w + 10, (size_t)(close - w - 10), NULL, &len, NULL,
                                           sodium_base64_VARIANT_ORIGINAL), 0);
        assert_true(utf8_valid((const char *)bin, len));
        strncat(joined, (const char *)bin, len);
        words++;
    }
    assert_true(words > 1);
    assert_string_equal(joined, subject);
}

static void test_ascii_subject_plain(void **state)
{
    (void)state;
    static char out[16384];
    mime("Hello Anna", "x", out, sizeof out);
    assert_non_null(strstr(out, "\r\nSubject: Hello Anna\r\n"));
    assert_non_null(strstr(out, "From: =?UTF-8?B?"));     /* "Lipą": encoded */
    assert_non_null(strstr(out, "\r\nList-Unsubscribe: <mailto:sklep@example.pl?subject=unsubscribe%20c0ffee-0123456789abcdef0123>\r\n"));
    assert_null(strstr(out, "List-Unsubscribe-Post"));  /* only with an https address */
}

/* Quoted-printable: no line over 76, only ASCII, = and 8-bit bytes
 * escaped, the text comes back. */
static void test_body_quoted_printable(void **state)
{
    (void)state;
    char body[2048] = "";
    for (int i = 0; i < 30; i++)
        strcat(body, "Cześć = ţ ");
    strcat(body, "\nsecond line ");
    static char out[16384];
    mime("s", body, out, sizeof out);
    char *b = strstr(out, "\r\n\r\n") + 4;
    for (char *line = b; *line; ) {
        char *eol = strstr(line, "\r\n");
        assert_non_null(eol);
        assert_true(eol - line <= 76);
        for (char *p = line; p < eol; p++)
            assert_true((unsigned char)*p >= 32 && (unsigned char)*p < 127);
        line = eol + 2;
    }
    /* Decode and compare. */
    char dec[4096];
    size_t n = 0;
    for (char *p = b; *p; p++) {
        if (p[0] == '=' && p[1] == '\r') { p += 2; continue; }
        if (p[0] == '=') { unsigned v; sscanf(p + 1, "%2X", &v); dec[n++] = (char)v; p += 2; continue; }
        if (p[0] == '\r') continue;
        dec[n++] = *p;
    }
    dec[n] = '\0';
    strcat(body, "\n");
    assert_string_equal(dec, body);
    assert_non_null(strstr(out, "=C5=9B"));     /* ś */
    assert_non_null(strstr(out, "=3D"));        /* = itself */
    assert_non_null(strstr(out, "ond line=20\r\n"));    /* a trailing space survives */
}

static void test_message_id_stable(void **state)
{
    (void)state;
    char a[128], b[128], c[128];
    messenger_message_id("shop1", "msg:welcome:c1", "sklep@example.pl", a, sizeof a);
    messenger_message_id("shop1", "msg:welcome:c1", "sklep@example.pl", b, sizeof b);
    messenger_message_id("shop2", "msg:welcome:c1", "sklep@example.pl", c, sizeof c);
    assert_string_equal(a, b);
    assert_string_not_equal(a, c);
    assert_int_equal(strlen(a), 1 + 32 + strlen(".tally@example.pl") + 1);
    assert_memory_equal(a + 33, ".tally@example.pl>", 18);
}

static void test_too_small(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(messenger_mime(&CFG, "S", "a@b.pl", "c", "c-00", "en", "<x@y>", "s", "b", 0, out, sizeof out), -1);
}

static void write_file(const char *path, const char *text, mode_t mode)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

static void test_settings_refusals(void **state)
{
    (void)state;
    char dir[] = "/tmp/tally-test-messenger-XXXXXX", path[64], err[512];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.conf", dir);
    struct messenger_config c;
    write_file(path, "smtp_host = h\nfrom = a@b.pl\n", 0644);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 600"));
    write_file(path, "smtp_host = h\nfrom = a@b.pl\nsmtp_pasword = x\n", 0600);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 3: unknown key 'smtp_pasword'"));
    write_file(path, "smtp_host = h\nfrom = a b <c@d>\n", 0600);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    write_file(path, "smtp_host = h\nsmtp_security = ssl\nfrom = a@b.pl\n", 0600);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), -1);
    write_file(path, "smtp_host = h\n", 0600);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), -1);
    assert_non_null(strstr(err, "from"));
    write_file(path, "smtp_host = h\nfrom = a@b.pl\nsmtp_security = tls\nretry_seconds = 5\n", 0600);
    assert_int_equal(messenger_config_load(path, &c, err, sizeof err), 0);
    assert_int_equal(c.security, SEC_TLS);
    assert_int_equal(c.retry_seconds, 5);
    assert_int_equal(c.timeout_seconds, 30);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_subject_encoded_words),
        cmocka_unit_test(test_ascii_subject_plain),
        cmocka_unit_test(test_body_quoted_printable),
        cmocka_unit_test(test_message_id_stable),
        cmocka_unit_test(test_too_small),
        cmocka_unit_test(test_settings_refusals),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
