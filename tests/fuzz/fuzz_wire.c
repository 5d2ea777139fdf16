/* fuzz_wire.c - libFuzzer target for the sync wire decoder: any bytes a
 * peer might send are refused or decoded, never a crash, a leak or an
 * allocation sized by what the bytes claim. Whatever decodes must encode
 * again, decode, and encode to the very same bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sync/internal.h"

static struct store_event events[SYNC_BATCH_MAX], again_events[SYNC_BATCH_MAX];
static struct store_vv vv[SYNC_VV_MAX], again_vv[SYNC_VV_MAX];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct sync_msg m;
    memset(&m, 0, sizeof m);
    m.events = events;
    m.events_cap = SYNC_BATCH_MAX;
    m.vv = vv;
    m.vv_cap = SYNC_VV_MAX;
    char why[160];
    if (sync_wire_decode(data, size, &m, why, sizeof why) != 0)
        return 0;
    struct sync_buf b = { 0 };
    if (sync_wire_encode(&m, &b) != 0)
        abort();
    /* Decoding does not clear what an event's text buffers held before
     * (the buffers here are reused from input to input), so the messages
     * are compared by what they say: the same type, counts and canonical
     * encoding. */
    struct sync_msg d;
    memset(&d, 0, sizeof d);
    d.events = again_events;
    d.events_cap = SYNC_BATCH_MAX;
    d.vv = again_vv;
    d.vv_cap = SYNC_VV_MAX;
    if (sync_wire_decode(b.data, b.len, &d, why, sizeof why) != 0 || d.type != m.type ||
        d.nevents != m.nevents || d.nvv != m.nvv)
        abort();
    struct sync_buf b2 = { 0 };
    if (sync_wire_encode(&d, &b2) != 0 || b2.len != b.len || memcmp(b2.data, b.data, b.len) != 0)
        abort();
    sync_buf_free(&b2);
    sync_buf_free(&b);
    return 0;
}
