/* transport.c - handing a message to the mail server or the SMS gateway
 * with libcurl. One easy handle per channel lives for the whole run, so
 * libcurl keeps the connection open between messages: a batch of mail
 * is one SMTP session, not one TCP and TLS handshake per message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

struct upload {
    const char *data;
    size_t len, at;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    struct upload *u = arg;
    size_t n = size * nitems;
    if (n > u->len - u->at)
        n = u->len - u->at;
    memcpy(buf, u->data + u->at, n);
    u->at += n;
    return n;
}

static size_t discard_cb(char *buf, size_t size, size_t nitems, void *arg)
{
    (void)buf;
    (void)arg;
    return size * nitems;
}

int transport_open(struct transport *t, const struct messenger_config *cfg)
{
    memset(t, 0, sizeof t[0]);
    t->cfg = cfg;
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        return -1;
    t->smtp = curl_easy_init();
    t->http = curl_easy_init();
    return t->smtp && t->http ? 0 : -1;
}

void transport_close(struct transport *t)
{
    if (t->smtp)
        curl_easy_cleanup(t->smtp);
    if (t->http)
        curl_easy_cleanup(t->http);
    t->smtp = t->http = NULL;
    curl_global_cleanup();
}

/* What went wrong, for the outbox: the server's own words when it said
 * something, else libcurl's. */
static void failure(struct send_result *r, CURLcode rc, long code, const char *errbuf, const char *what)
{
    r->ok = false;
    r->offline = rc == CURLE_COULDNT_RESOLVE_HOST || rc == CURLE_COULDNT_RESOLVE_PROXY;
    if (code > 0)
        snprintf(r->reason, sizeof r->reason, "%s %ld: %.200s", what, code, errbuf[0] ? errbuf : curl_easy_strerror(rc));
    else
        snprintf(r->reason, sizeof r->reason, "%s: %.200s", what, errbuf[0] ? errbuf : curl_easy_strerror(rc));
}

/* Runs the transfer set up on h; r says how it went. */
static int perform(CURL *h, const char *what, struct send_result *r)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    CURLcode rc = curl_easy_perform(h);
    long code = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    memset(r, 0, sizeof *r);
    if (rc != CURLE_OK) {
        failure(r, rc, code, errbuf, what);
        return -1;
    }
    r->ok = true;
    r->code = code;
    return 0;
}

int transport_mail(struct transport *t, const char *to, const char *text, size_t len, struct send_result *r)
{
    const struct messenger_config *c = t->cfg;
    CURL *h = t->smtp;
    char url[MESSENGER_TEXT_MAX + 32], from[MESSENGER_TEXT_MAX + 3], rcpt[300];
    int port = c->smtp_port ? c->smtp_port : c->security == SEC_TLS ? 465 : c->security == SEC_STARTTLS ? 587 : 25;
    snprintf(url, sizeof url, "%s://%s:%d", c->security == SEC_TLS ? "smtps" : "smtp", c->smtp_host, port);
    snprintf(from, sizeof from, "<%s>", c->from);
    snprintf(rcpt, sizeof rcpt, "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    struct upload u = { text, len, 0 };
    if (!rcpts) {
        memset(r, 0, sizeof *r);
        snprintf(r->reason, sizeof r->reason, "out of memory");
        return -1;
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_USE_SSL, c->security == SEC_NONE ? (long)CURLUSESSL_NONE : (long)CURLUSESSL_ALL);
    if (c->ca_file[0])      /* a relay with a certificate of its own */
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    if (c->smtp_user[0]) {
        curl_easy_setopt(h, CURLOPT_USERNAME, c->smtp_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, c->smtp_password);
    }
    curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(h, CURLOPT_READDATA, &u);
    curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(h, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_seconds);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_seconds);
    int rc = perform(h, "smtp", r);
    curl_easy_setopt(h, CURLOPT_MAIL_RCPT, NULL);
    curl_slist_free_all(rcpts);
    return rc;
}

/* template with {to}, {text} and {token} filled in, each escaped for a
 * form (percent-encoded) or for a JSON string. */
static int transport_fill(CURL *h, const char *tmpl, bool json, const char *to, const char *text, const char *token,
                char *out, size_t outsz)
{
    size_t n = 0;
    out[0] = '\0';
    for (const char *p = tmpl; *p;) {
        const char *value = strncmp(p, "{to}", 4) == 0 ? to : strncmp(p, "{text}", 6) == 0 ? text
                          : strncmp(p, "{token}", 7) == 0 ? token : NULL;
        if (!value) {
            if (n + 1 >= outsz)
                return -1;
            out[n++] = *p++;
            out[n] = '\0';
            continue;
        }
        p = strchr(p, '}') + 1;
        if (json) {
            for (const unsigned char *v = (const unsigned char *)value; *v; v++) {
                char e[8];
                if (*v == '"' || *v == '\\')
                    snprintf(e, sizeof e, "\\%c", *v);
                else if (*v < 0x20)
                    snprintf(e, sizeof e, "\\u%04x", *v);
                else
                    snprintf(e, sizeof e, "%c", *v);
                if (n + strlen(e) >= outsz)
                    return -1;
                memcpy(out + n, e, strlen(e) + 1);
                n += strlen(e);
            }
        } else {
            char *e = curl_easy_escape(h, value, 0);
            if (!e || n + strlen(e) >= outsz) {
                curl_free(e);
                return -1;
            }
            memcpy(out + n, e, strlen(e) + 1);
            n += strlen(e);
            curl_free(e);
        }
    }
    return 0;
}

int transport_sms(struct transport *t, const char *to, const char *text, struct send_result *r)
{
    const struct messenger_config *c = t->cfg;
    CURL *h = t->http;
    char body[8192], header[MESSENGER_TEXT_MAX * 2];
    memset(r, 0, sizeof *r);
    if (transport_fill(h, c->sms_body, c->sms_json, to, text, c->sms_token, body, sizeof body) != 0) {
        snprintf(r->reason, sizeof r->reason, "sms: the request is too long");
        return -1;
    }
    struct curl_slist *headers = curl_slist_append(NULL, c->sms_json ? "Content-Type: application/json"
                                                                     : "Content-Type: application/x-www-form-urlencoded");
    /* The token in a header is not URL-escaped: it is sent as written. */
    if (headers && c->sms_header[0]) {
        size_t n = 0;
        for (const char *p = c->sms_header; *p && n + 1 < sizeof header;) {
            if (strncmp(p, "{token}", 7) == 0) {
                n += (size_t)snprintf(header + n, sizeof header - n, "%s", c->sms_token);
                if (n >= sizeof header)
                    n = sizeof header - 1;
                p += 7;
            } else {
                header[n++] = *p++;
            }
        }
        header[n] = '\0';
        struct curl_slist *more = curl_slist_append(headers, header);
        headers = more ? more : headers;
    }
    curl_easy_setopt(h, CURLOPT_URL, c->sms_url);
    if (c->ca_file[0])
        curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard_cb);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, (long)c->timeout_seconds);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, (long)c->timeout_seconds);
    int rc = perform(h, "sms", r);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    curl_slist_free_all(headers);
    if (rc == 0 && (r->code < 200 || r->code > 299)) {
        r->ok = false;
        snprintf(r->reason, sizeof r->reason, "sms: the gateway answered HTTP %ld", r->code);
        return -1;
    }
    return rc;
}
