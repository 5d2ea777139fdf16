/* address.c - till addresses ("HOST:PORT", three ports from PORT) and
 * keys in ZeroMQ's Z85 text form. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "sync/internal.h"

int sync_parse_address(const char *address, char *host, size_t hostsz, int *port)
{
    const char *colon = address ? strrchr(address, ':') : NULL;
    if (!colon || colon == address || (size_t)(colon - address) >= hostsz)
        return -1;
    char *end;
    long p = strtol(colon + 1, &end, 10);
    if (*end || end == colon + 1 || p < 0 || p > 65533)
        return -1;
    memcpy(host, address, (size_t)(colon - address));
    host[colon - address] = '\0';
    for (const char *h = host; *h; h++)
        if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-[]", *h))
            return -1;
    *port = (int)p;
    return 0;
}

int sync_endpoint(const char *address, int which, char *out, size_t outsz)
{
    char host[STORE_ADDRESS_MAX + 1];
    int port;
    if (which < 0 || which > 2 || sync_parse_address(address, host, sizeof host, &port) != 0 || port == 0)
        return -1;
    int n = snprintf(out, outsz, "tcp://%s:%d", host, port + which);
    return n > 0 && (size_t)n < outsz ? 0 : -1;
}

void sync_key_z85(const unsigned char key[STORE_KEY_BYTES], char out[41])
{
    zmq_z85_encode(out, key, STORE_KEY_BYTES);
}
