/* sync.h - replication of the event log between the tills of one shop, and
 * the sync daemon. This header is the sync module's whole public face: what
 * the tally command needs to run syncd, join a till to a shop and show the
 * state of replication. The protocol, the wire format and the transport are
 * the module's own (sync/internal.h); see doc/DESIGN.md, "Sync between tills".
 *
 * Addresses: a till's syncd listens on "HOST:PORT" and uses three ports
 * there: PORT for PUB (live events and heartbeats), PORT+1 for ROUTER
 * (catch-up requests) and PORT+2 for joining tills. Every socket uses
 * ZeroMQ CURVE; a ZAP handler accepts only the keys of the shop's tills
 * (and, on the join port, any key while an invitation is open). */
#ifndef TALLY_SYNC_H
#define TALLY_SYNC_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define SYNC_PEERS_MAX 64

/* Why a message was refused; counted per peer. */
enum sync_refusal {
    SYNC_REFUSED_MALFORMED,     /* not a valid message */
    SYNC_REFUSED_VERSION,       /* another protocol version */
    SYNC_REFUSED_SHOP,          /* another shop */
    SYNC_REFUSED_UNEXPECTED,    /* valid, but not on this socket or not now */
    SYNC_REFUSED_EVENT,         /* an event the ledger refused (bad, or a fork) */
    SYNC_REFUSED_SIGNATURE,     /* events their till did not sign (another till speaking for it) */
    SYNC_REFUSED_NREASONS
};
const char *sync_refusal_name(enum sync_refusal r);

/* --- the daemon (daemon.c) ------------------------------------------------ */

struct sync_options {
    const char *db_path;
    const char *listen;         /* "HOST:PORT" (PORT 0: any free), or NULL: as last time */
    int heartbeat_ms;           /* 0: 1000 */
    const char *faults;         /* test knob "drop=0.2,dup=0.1,reorder=0.1,seed=N", or NULL */
    bool verbose;               /* debug logs */
    volatile sig_atomic_t *stop;    /* set non-zero to stop */
};

/* Runs syncd until *stop; returns an exit code (0 after a clean stop). */
int sync_daemon_run(const struct sync_options *o);

/* --- status (written by syncd, read by 'tally sync status' and the kiosk) -- */

#define SYNC_WAITING_SHOWN 16

struct sync_peer_status {
    char origin[STORE_ORIGIN_LEN + 1];
    char name[STORE_TILL_NAME_MAX + 1];
    char address[STORE_ADDRESS_MAX + 1];
    bool connected;             /* heard from within three heartbeats */
    int64_t last_heard;         /* ms, 0: never */
    int64_t they_lack, we_lack; /* events behind in each direction */
    uint64_t refused[SYNC_REFUSED_NREASONS];
    char last_refusal[160];
};

struct sync_status {
    bool running;               /* syncd wrote the status lately */
    int pid;
    int64_t updated;            /* ms */
    char origin[STORE_ORIGIN_LEN + 1];
    char address[STORE_ADDRESS_MAX + 1];
    uint64_t applied;           /* events applied from peers since start */
    uint64_t strangers;         /* handshakes and requests refused from unknown keys */
    int npeers;
    struct sync_peer_status peers[SYNC_PEERS_MAX];
    int nwaiting;               /* origins it cannot take (sync_core_waiting) */
    struct { char origin[STORE_ORIGIN_LEN + 1]; int64_t lacking; } waiting[SYNC_WAITING_SHOWN];
};

/* Reads the status file of the database at db_path; running is false if
 * it is missing or older than 5 s. */
int sync_status_read(const char *db_path, struct sync_status *st);

/* --- tills joining (join.c) ------------------------------------------------ */

/* An invitation token: hex of the secret, '.', hex of the inviting
 * till's public key. */
#define SYNC_TOKEN_LEN (2 * STORE_TOKEN_BYTES + 1 + 2 * STORE_KEY_BYTES)
void sync_token_format(const unsigned char token[STORE_TOKEN_BYTES],
                       const unsigned char key[STORE_KEY_BYTES], char out[SYNC_TOKEN_LEN + 1]);

struct sync_join_result {
    char origin[STORE_ORIGIN_LEN + 1];
    char shop_name[STORE_TEXT_MAX * 4 + 1];
};
/* Contacts the till at address, proves the token and creates the new
 * database at db_path as a till of that shop. name and listen (this
 * till's future address, or NULL) go into its till record. On failure
 * returns -1 with a translated reason in err; nothing is left behind. */
int sync_join(const char *db_path, const char *address, const char *token,
              const char *name, const char *listen, int timeout_ms,
              struct sync_join_result *out, char *err, size_t errsz);

/* Curve25519 raw key ↔ Z85 (40 chars) for ZeroMQ. */
void sync_key_z85(const unsigned char key[STORE_KEY_BYTES], char out[41]);

#endif
