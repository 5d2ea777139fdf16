/* messenger.h - tally messenger: delivers the outbox's e-mail (SMTP) and
 * SMS (an HTTP gateway) messages from the shop's sender till, through
 * libcurl. The messenger module's whole public face.
 *
 * At-least-once: before a batch goes out each message is recorded as
 * being sent (one transaction), and after it its outcomes (another). A
 * process killed between the two sends that batch again when it starts,
 * with the same Message-ID (from the shop and the message's occasion
 * key, so a mail client shows one message), and records it as sent
 * again: a message may arrive twice, never without a record of it. */
#ifndef TALLY_MESSENGER_H
#define TALLY_MESSENGER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "store/store.h"

#define MESSENGER_TEXT_MAX 512      /* bytes of one configuration value */

enum messenger_security { SEC_STARTTLS, SEC_TLS, SEC_NONE };

/* The sender's settings, from a file only its owner may read (it holds
 * the mail password and the gateway's token):
 *
 *     smtp_host = mail.example.pl      smtp_security = starttls | tls | none
 *     smtp_port = 587                  smtp_user = ...  smtp_password = ...
 *     from = sklep@example.pl          unsubscribe = mailto:...?subject=stop%20{token}, https://...?t={token}
 *     sms_url = https://gateway/send   sms_token = ...
 *     sms_body = to={to}&message={text}    sms_format = form | json
 *     sms_header = Authorization: Bearer {token}
 *     timeout_seconds = 30             retry_seconds = 60
 *     ca_file = /etc/tally/relay.pem   (trust this certificate too: a relay's own)
 */
struct messenger_config {
    char smtp_host[MESSENGER_TEXT_MAX], smtp_user[MESSENGER_TEXT_MAX], smtp_password[MESSENGER_TEXT_MAX];
    int smtp_port;                  /* 0: the security's usual port */
    enum messenger_security security;
    char from[MESSENGER_TEXT_MAX], unsubscribe[MESSENGER_TEXT_MAX];
    char sms_url[MESSENGER_TEXT_MAX], sms_token[MESSENGER_TEXT_MAX], sms_body[MESSENGER_TEXT_MAX];
    char sms_header[MESSENGER_TEXT_MAX];
    char ca_file[MESSENGER_TEXT_MAX];   /* the certificates to trust (mail server, gateway), or "" */
    bool sms_json;                  /* placeholders escaped for JSON, else form-encoded */
    int timeout_seconds;            /* one send, connection included */
    int retry_seconds;              /* the first back-off; it doubles each try */
};

/* Reads the settings. Refuses a file others may read or write, unknown
 * keys and bad values, saying which line. Returns 0, or -1 with err. */
int messenger_config_load(const char *path, struct messenger_config *cfg, char *err, size_t errsz);

/* A message as it goes by e-mail: RFC 5322 headers (encoded-word
 * subject and sender's name, Message-ID, List-Unsubscribe with {customer}
 * and {token} filled in: the customer's id and unsubscribe token), UTF-8
 * body in quoted-printable, CRLF line ends. Returns the length written to
 * out (NUL-terminated), or -1 if it does not fit. */
int messenger_mime(const struct messenger_config *cfg, const char *shop, const char *to,
                   const char *customer, const char *token, const char *lang, const char *message_id,
                   const char *subject, const char *body, int64_t now_ms, char *out, size_t outsz);

/* The Message-ID of a message: the same for the same shop and occasion
 * key, whenever and however often it is sent. */
void messenger_message_id(const char *shop_id, const char *key, const char *from,
                          char *out, size_t outsz);

struct messenger_options {
    const char *config_path;
    bool dry_run;                   /* print what would go, send and record nothing */
    bool once;                      /* one pass over what is due, then return */
    int poll_ms;                    /* how often the outbox is looked at */
    volatile sig_atomic_t *stop;    /* set by a signal: finish the message, record, return */
    FILE *out;                      /* dry-run lines and the log */
};

/* Works through the outbox until *stop (or one pass with once). Returns
 * 0, or -1 with the reason printed on out. */
int messenger_run(store *s, const struct messenger_config *cfg, const struct messenger_options *o);

#endif
