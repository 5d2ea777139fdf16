/* json.c - a small JSON writer for reports and exports. Output only:
 * nothing in tally parses JSON in C. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void jb_init(struct jbuf *jb)
{
    memset(jb, 0, sizeof *jb);
}

void jb_free(struct jbuf *jb)
{
    free(jb->buf);
    jb_init(jb);
}

const char *jb_result(const struct jbuf *jb)
{
    if (jb->oom || jb->depth != 0 || jb->after_key)
        return NULL;
    return jb->buf ? jb->buf : "";
}

static bool grow(struct jbuf *jb, size_t extra)
{
    size_t need = jb->len + extra + 1, cap = jb->cap ? jb->cap : 256;

    if (need <= jb->cap)
        return true;
    while (cap < need) {
        if (cap > SIZE_MAX / 2)
            return false;
        cap *= 2;
    }
    char *p = realloc(jb->buf, cap);
    if (!p)
        return false;
    jb->buf = p;
    jb->cap = cap;
    return true;
}

static void append(struct jbuf *jb, const char *s, size_t n)
{
    if (jb->oom)
        return;
    if (!grow(jb, n)) {
        jb->oom = true;
        return;
    }
    memcpy(jb->buf + jb->len, s, n);
    jb->len += n;
    jb->buf[jb->len] = '\0';
}

static void append_str(struct jbuf *jb, const char *s)
{
    append(jb, s, strlen(s));
}

/* Every value starts here: a comma if a sibling came before, and a check
 * that an object member has its key. */
static bool begin_value(struct jbuf *jb)
{
    if (jb->oom)
        return false;
    if (jb->after_key) {
        jb->after_key = false;
        return true;
    }
    /* A value where a key is due, or a second top-level value. */
    if (jb->in_object[jb->depth] || (jb->depth == 0 && jb->need_comma[0])) {
        jb->oom = true;
        return false;
    }
    if (jb->need_comma[jb->depth])
        append(jb, ",", 1);
    jb->need_comma[jb->depth] = true;
    return !jb->oom;
}

static void open_container(struct jbuf *jb, char bracket, bool object)
{
    if (!begin_value(jb))
        return;
    if (jb->depth >= JB_MAX_DEPTH) {
        jb->oom = true;
        return;
    }
    append(jb, &bracket, 1);
    jb->depth++;
    jb->need_comma[jb->depth] = false;
    jb->in_object[jb->depth] = object;
}

static void close_container(struct jbuf *jb, char bracket, bool object)
{
    if (jb->oom)
        return;
    if (jb->depth == 0 || jb->in_object[jb->depth] != object ||
        jb->after_key) {
        jb->oom = true;          /* unbalanced, or a key left dangling */
        return;
    }
    jb->depth--;
    append(jb, &bracket, 1);
}

void jb_obj_begin(struct jbuf *jb) { open_container(jb, '{', true); }
void jb_obj_end(struct jbuf *jb) { close_container(jb, '}', true); }
void jb_arr_begin(struct jbuf *jb) { open_container(jb, '[', false); }
void jb_arr_end(struct jbuf *jb) { close_container(jb, ']', false); }

static void append_escaped(struct jbuf *jb, const char *s)
{
    size_t len = strlen(s);
    uint32_t cp;

    append(jb, "\"", 1);
    while (len > 0 && !jb->oom) {
        unsigned char ch = (unsigned char)*s;
        const char *esc = NULL;
        char hex[8];

        switch (ch) {
        case '"':  esc = "\\\""; break;
        case '\\': esc = "\\\\"; break;
        case '\n': esc = "\\n"; break;
        case '\r': esc = "\\r"; break;
        case '\t': esc = "\\t"; break;
        case '\b': esc = "\\b"; break;
        case '\f': esc = "\\f"; break;
        default:
            if (ch < 0x20) {
                snprintf(hex, sizeof hex, "\\u%04x", ch);
                esc = hex;
            }
        }
        if (esc) {
            append_str(jb, esc);
            s++;
            len--;
            continue;
        }
        int n = utf8_decode(s, len, &cp);
        if (n < 0) {
            append_str(jb, "\xEF\xBF\xBD");     /* U+FFFD for a bad byte */
            n = 1;
        } else {
            append(jb, s, (size_t)n);
        }
        s += n;
        len -= (size_t)n;
    }
    append(jb, "\"", 1);
}

void jb_key(struct jbuf *jb, const char *name)
{
    if (jb->oom)
        return;
    if (!jb->in_object[jb->depth] || jb->after_key || !name) {
        jb->oom = true;          /* a key outside an object */
        return;
    }
    if (jb->need_comma[jb->depth])
        append(jb, ",", 1);
    jb->need_comma[jb->depth] = true;
    append_escaped(jb, name);
    append(jb, ":", 1);
    jb->after_key = true;
}

void jb_str(struct jbuf *jb, const char *s)
{
    if (!s) {
        jb_null(jb);
        return;
    }
    if (begin_value(jb))
        append_escaped(jb, s);
}

void jb_int(struct jbuf *jb, int64_t v)
{
    char num[24];

    if (!begin_value(jb))
        return;
    snprintf(num, sizeof num, "%" PRId64, v);
    append_str(jb, num);
}

void jb_bool(struct jbuf *jb, bool v)
{
    if (begin_value(jb))
        append_str(jb, v ? "true" : "false");
}

void jb_null(struct jbuf *jb)
{
    if (begin_value(jb))
        append_str(jb, "null");
}

void jb_raw(struct jbuf *jb, const char *json)
{
    if (!json || !*json)
        jb_null(jb);
    else if (begin_value(jb))
        append_str(jb, json);
}

void jb_money(struct jbuf *jb, int64_t minor, int digits)
{
    char num[MONEY_BUFSZ];

    money_plain(minor, digits, num, sizeof num);
    jb_str(jb, num);
}

void jb_key_str(struct jbuf *jb, const char *name, const char *s)
{
    jb_key(jb, name);
    jb_str(jb, s);
}

void jb_key_int(struct jbuf *jb, const char *name, int64_t v)
{
    jb_key(jb, name);
    jb_int(jb, v);
}

void jb_key_bool(struct jbuf *jb, const char *name, bool v)
{
    jb_key(jb, name);
    jb_bool(jb, v);
}

void jb_key_money(struct jbuf *jb, const char *name, int64_t minor, int digits)
{
    jb_key(jb, name);
    jb_money(jb, minor, digits);
}
