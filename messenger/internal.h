/* internal.h - what the messenger's own files share. */
#ifndef TALLY_MESSENGER_INTERNAL_H
#define TALLY_MESSENGER_INTERNAL_H

#include <curl/curl.h>

#include "messenger.h"

struct transport {
    const struct messenger_config *cfg;
    CURL *smtp, *http;
};

struct send_result {
    bool ok;
    bool offline;           /* the server's name did not resolve: no network */
    long code;              /* the server's last answer (SMTP or HTTP status) */
    char reason[240];       /* what failed, in the server's or libcurl's words */
};

int transport_open(struct transport *t, const struct messenger_config *cfg);
void transport_close(struct transport *t);
/* Each returns 0 when the server took the message, else -1 with r filled. */
int transport_mail(struct transport *t, const char *to, const char *text, size_t len, struct send_result *r);
int transport_sms(struct transport *t, const char *to, const char *text, struct send_result *r);

#endif
