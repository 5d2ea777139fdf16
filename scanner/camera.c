/* camera.c - the V4L2 camera source: open the device, pick a format, stream
 * through mmap'd buffers, and hand the newest frame to the camera pipeline
 * (scanner_frame), which converts, decodes and delivers it.
 *
 * The thread talks to the driver directly (linux/videodev2.h ioctls), not
 * through libv4l2, on purpose:
 *  - tally needs only brightness. Every raw format USB (UVC) cameras send
 *    (YUYV, UYVY, NV12, YU12, GREY) carries the luma as it is, which the
 *    pipeline takes without colour maths; libv4l2's conversion would turn
 *    each frame into RGB24 or YU12 first, work thrown away on every frame.
 *    MJPEG, the one compressed format UVC cameras add, zbar already reads.
 *  - what libv4l2 adds beyond that - Bayer and old vendor formats, software
 *    white balance, flipping upside-down sensors - does not matter here:
 *    QR codes read in any orientation and in grey, and a camera that only
 *    offers a format tally cannot take is named with what it offers.
 *  - libv4l2 issues its own syscall(SYS_ioctl, ...) and syscall(SYS_mmap),
 *    past the C library, so neither a tool that traces the C library's
 *    calls nor the emulated camera the tests preload (tests/emu) could see
 *    what it asks of the driver. Direct ioctls are what the tests check.
 * The sequence: QUERYCAP (a capture device that streams), ENUM_FMT and S_FMT
 * (640x480 asked for, whatever size the driver gives taken; GREY, YUYV,
 * UYVY, NV12, YU12 preferred in that order, MJPEG last since zbar must
 * decompress it), REQBUFS/QUERYBUF/mmap, QBUF, STREAMON. Then it polls the
 * device beside the scanner's stop descriptor; when frames are ready it
 * takes them all (DQBUF until EAGAIN), gives the driver back every one
 * but the newest at once, hands the newest to scanner_frame() (a copy) and
 * gives it back too. A frame the driver flags as damaged is skipped.
 *
 * Any failure - missing, busy, unplugged (ENODEV/EIO from DQBUF, or POLLERR
 * with no frame), no usable format, no good frame for CAM_STALL_MS - closes the
 * device, says why once (src_failed) and tries again every retry_ms until
 * the scanner closes. Everything it opened or mapped is released on every
 * path. */
#include "scanner.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "i18n.h"
#include "source.h"
#include "util/util.h"

#define CAM_BUFFERS 4       /* asked for */
#define CAM_BUFFERS_MAX 8   /* taken, if the driver insists on more */
#define CAM_WIDTH 640
#define CAM_HEIGHT 480
#define CAM_STALL_MS 5000   /* no frame for this long: restart the camera */

/* What we read, best first, and how the pipeline calls it. */
static const struct { uint32_t fourcc; enum scan_pixfmt fmt; } FORMATS[] = {
    { V4L2_PIX_FMT_GREY, SCAN_PIX_GREY },
    { V4L2_PIX_FMT_YUYV, SCAN_PIX_YUYV },
    { V4L2_PIX_FMT_UYVY, SCAN_PIX_UYVY },
    { V4L2_PIX_FMT_NV12, SCAN_PIX_NV12 },
    { V4L2_PIX_FMT_YUV420, SCAN_PIX_YU12 },
    { V4L2_PIX_FMT_MJPEG, SCAN_PIX_MJPEG },
    { V4L2_PIX_FMT_JPEG, SCAN_PIX_MJPEG },
};
#define NFORMATS (sizeof FORMATS / sizeof FORMATS[0])

struct cam {
    int fd;
    const char *path;
    struct { void *start; size_t len; } buf[CAM_BUFFERS_MAX];
    unsigned nbuf;
    bool streaming;
    struct scan_frame f;    /* format, size and stride of every frame */
    char *why;              /* where a failure's reason goes */
    size_t whysz;
};

static int xioctl(int fd, unsigned long req, void *arg)
{
    int r;
    do
        r = ioctl(fd, req, arg);
    while (r < 0 && errno == EINTR);
    return r;
}

/* Sets the reason from a format with one %s (the device) and returns st. */
static enum scan_state failed(struct cam *c, enum scan_state st, const char *fmt)
{
    snprintf(c->why, c->whysz, fmt, c->path);
    return st;
}

/* The same, with the system's reason after the device. */
static enum scan_state failed_errno(struct cam *c, enum scan_state st, const char *fmt, int err)
{
    snprintf(c->why, c->whysz, fmt, c->path, strerror(err));
    return st;
}

/* ENODEV and friends mean the camera went away; EBUSY that another
 * program has it; anything else is reported as the system says it. */
static enum scan_state ioctl_failed(struct cam *c, int err, const char *what)
{
    if (err == ENODEV || err == ENXIO || err == EIO)
        return failed(c, SCAN_STATE_MISSING, _("camera %s unplugged: plug it back in"));
    if (err == EBUSY)
        return failed(c, SCAN_STATE_BUSY, _("camera %s is busy: another program is using it"));
    if (err == ENOSPC)
        return failed(c, SCAN_STATE_FAILED,
                      _("camera %s: not enough USB bandwidth; plug it into another USB port"));
    /* TRANSLATORS: the camera device, what failed (a V4L2 ioctl name),
       then the system's reason. */
    snprintf(c->why, c->whysz, _("camera %s: %s failed: %s"), c->path, what, strerror(err));
    return SCAN_STATE_FAILED;
}

static void fourcc_str(uint32_t f, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char ch = (char)((f >> (8 * i)) & 0xFF);
        out[i] = ch > ' ' && ch < 0x7F ? ch : '?';
    }
    out[4] = '\0';
}

/* Picks the best format the camera offers. */
static enum scan_state pick_format(struct cam *c, uint32_t *fourcc)
{
    size_t best = NFORMATS;
    char offered[256] = "";
    size_t used = 0;
    for (uint32_t i = 0; i < 64; i++) {
        struct v4l2_fmtdesc d;
        memset(&d, 0, sizeof d);
        d.index = i;
        d.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        if (xioctl(c->fd, VIDIOC_ENUM_FMT, &d) < 0) {
            if (errno == EINVAL)
                break;
            return ioctl_failed(c, errno, "VIDIOC_ENUM_FMT");
        }
        for (size_t k = 0; k < best; k++)
            if (FORMATS[k].fourcc == d.pixelformat)
                best = k;
        char name[5];
        fourcc_str(d.pixelformat, name);
        if (used < sizeof offered) {
            int w = snprintf(offered + used, sizeof offered - used, "%s%s", used ? ", " : "", name);
            used += w > 0 ? (size_t)w : 0;
        }
    }
    if (best == NFORMATS) {
        /* TRANSLATORS: the camera device, then the formats it offers
           (V4L2 four-letter codes, e.g. "H264, RGB3"). */
        snprintf(c->why, c->whysz,
                 _("camera %s offers no picture format tally reads (it offers: %s; tally reads "
                   "GREY, YUYV, UYVY, NV12, YU12 and MJPEG)"),
                 c->path, used ? offered : _("none"));
        return SCAN_STATE_FAILED;
    }
    *fourcc = FORMATS[best].fourcc;
    return SCAN_STATE_ON;
}

static void cam_close(struct cam *c)
{
    if (c->fd < 0)
        return;
    if (c->streaming) {
        int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
        xioctl(c->fd, VIDIOC_STREAMOFF, &type);
    }
    for (unsigned i = 0; i < c->nbuf; i++)
        if (c->buf[i].start != MAP_FAILED)
            munmap(c->buf[i].start, c->buf[i].len);
    c->nbuf = 0;
    close(c->fd);
    c->fd = -1;
}

/* Buffer index of the memory-mapped capture queue, as QUERYBUF, QBUF and
 * DQBUF take it. */
static void buf_init(struct v4l2_buffer *b, unsigned index)
{
    memset(b, 0, sizeof *b);
    b->type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    b->memory = V4L2_MEMORY_MMAP;
    b->index = index;
}

static int qbuf(struct cam *c, unsigned index)
{
    struct v4l2_buffer b;
    buf_init(&b, index);
    return xioctl(c->fd, VIDIOC_QBUF, &b) < 0 ? errno : 0;
}

/* Opens and starts the camera: SCAN_STATE_ON, or why not. */
static enum scan_state cam_open(struct cam *c)
{
    c->fd = open(c->path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (c->fd < 0) {
        int e = errno;
        if (e == ENOENT || e == ENODEV || e == ENXIO)
            return failed(c, SCAN_STATE_MISSING,
                          _("camera %s not found: plug it in, or give the right --camera /dev/videoN"));
        if (e == EACCES || e == EPERM)
            return failed(c, SCAN_STATE_FAILED,
                          _("no permission to use camera %s: add this user to the 'video' group"));
        if (e == EBUSY)
            return failed(c, SCAN_STATE_BUSY, _("camera %s is busy: another program is using it"));
        if (e != EISDIR)
            return failed_errno(c, SCAN_STATE_FAILED, _("cannot open camera %s: %s"), e);
    }
    const char *not_camera = _("%s is not a camera: give a video device such as /dev/video0");
    struct stat st;
    if (c->fd < 0 || fstat(c->fd, &st) != 0 || !S_ISCHR(st.st_mode))
        return failed(c, SCAN_STATE_FAILED, not_camera);

    struct v4l2_capability cap;
    memset(&cap, 0, sizeof cap);
    if (xioctl(c->fd, VIDIOC_QUERYCAP, &cap) < 0)
        return errno == ENOTTY || errno == EINVAL ? failed(c, SCAN_STATE_FAILED, not_camera)
                                                  : ioctl_failed(c, errno, "VIDIOC_QUERYCAP");
    uint32_t caps = cap.capabilities & V4L2_CAP_DEVICE_CAPS ? cap.device_caps : cap.capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) && (caps & V4L2_CAP_VIDEO_CAPTURE_MPLANE))
        return failed(c, SCAN_STATE_FAILED,
                      _("camera %s only has the multi-planar V4L2 interface, which tally does not read"));
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE))
        return failed(c, SCAN_STATE_FAILED,
                      _("%s is not a video capture device (a USB camera often has a second one "
                        "for metadata: try the /dev/video number before it)"));
    if (!(caps & V4L2_CAP_STREAMING))
        return failed(c, SCAN_STATE_FAILED, _("camera %s cannot stream frames (no V4L2 streaming I/O)"));

    uint32_t fourcc = 0;
    enum scan_state s = pick_format(c, &fourcc);
    if (s != SCAN_STATE_ON)
        return s;
    struct v4l2_format fmt;
    memset(&fmt, 0, sizeof fmt);
    fmt.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    fmt.fmt.pix.width = CAM_WIDTH;
    fmt.fmt.pix.height = CAM_HEIGHT;
    fmt.fmt.pix.pixelformat = fourcc;
    fmt.fmt.pix.field = V4L2_FIELD_ANY;
    if (xioctl(c->fd, VIDIOC_S_FMT, &fmt) < 0)
        return ioctl_failed(c, errno, "VIDIOC_S_FMT");
    /* The driver may have changed anything it was asked for. */
    size_t k = 0;
    while (k < NFORMATS && FORMATS[k].fourcc != fmt.fmt.pix.pixelformat)
        k++;
    if (k == NFORMATS || fmt.fmt.pix.width == 0 || fmt.fmt.pix.height == 0 ||
        fmt.fmt.pix.width > 16384 || fmt.fmt.pix.height > 16384)
        return failed(c, SCAN_STATE_FAILED, _("camera %s did not take a picture format tally reads"));
    c->f.format = FORMATS[k].fmt;
    c->f.width = (int)fmt.fmt.pix.width;
    c->f.height = (int)fmt.fmt.pix.height;
    c->f.stride = c->f.format == SCAN_PIX_MJPEG ? 0 : fmt.fmt.pix.bytesperline;

    struct v4l2_requestbuffers req;
    memset(&req, 0, sizeof req);
    req.count = CAM_BUFFERS;
    req.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    req.memory = V4L2_MEMORY_MMAP;
    if (xioctl(c->fd, VIDIOC_REQBUFS, &req) < 0)
        return ioctl_failed(c, errno, "VIDIOC_REQBUFS");
    if (req.count < 2 || req.count > CAM_BUFFERS_MAX)
        return failed(c, SCAN_STATE_FAILED, _("camera %s gave too few frame buffers"));
    for (unsigned i = 0; i < req.count; i++) {
        struct v4l2_buffer b;
        buf_init(&b, i);
        if (xioctl(c->fd, VIDIOC_QUERYBUF, &b) < 0)
            return ioctl_failed(c, errno, "VIDIOC_QUERYBUF");
        c->buf[i].len = b.length;
        c->buf[i].start = mmap(NULL, b.length, PROT_READ | PROT_WRITE, MAP_SHARED, c->fd, b.m.offset);
        c->nbuf = i + 1;
        if (c->buf[i].start == MAP_FAILED)
            return ioctl_failed(c, errno, "mmap");
    }
    for (unsigned i = 0; i < c->nbuf; i++) {
        int e = qbuf(c, i);
        if (e)
            return ioctl_failed(c, e, "VIDIOC_QBUF");
    }
    int type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    if (xioctl(c->fd, VIDIOC_STREAMON, &type) < 0)
        return ioctl_failed(c, errno, "VIDIOC_STREAMON");
    c->streaming = true;
    return SCAN_STATE_ON;
}

/* Streams until the scanner closes (SCAN_STATE_ON) or the camera fails.
 * A camera that keeps sending frames, all damaged (flagged by the driver,
 * or refused by scanner_frame: an MJPEG frame cut short), has stalled as
 * surely as one that sends none: after CAM_STALL_MS without a good frame
 * it is restarted either way, and says which. */
static enum scan_state cam_run(struct cam *c, scanner *sc)
{
    int64_t last_good = clock_ms(CLOCK_MONOTONIC);
    bool damaged = false;       /* since the last good frame */
    for (;;) {
        int64_t left = last_good + CAM_STALL_MS - clock_ms(CLOCK_MONOTONIC);
        if (left <= 0)
            return damaged ? failed(c, SCAN_STATE_FAILED,
                                    _("camera %s sends only damaged pictures: check its USB cable, "
                                      "or plug it into another USB port"))
                           : failed(c, SCAN_STATE_FAILED, _("camera %s stopped sending pictures"));
        struct pollfd p[2] = { { .fd = c->fd, .events = POLLIN }, { .fd = src_stop_fd(sc), .events = POLLIN } };
        int r = poll(p, 2, (int)left);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            return ioctl_failed(c, errno, "poll");
        if (p[1].revents)
            return SCAN_STATE_ON;
        if (r == 0)
            continue;               /* the stall is said at the top */
        /* Take every frame ready; keep the newest, give back the rest. */
        int newest = -1;
        size_t used = 0;
        for (;;) {
            struct v4l2_buffer b;
            buf_init(&b, 0);        /* the driver says which */
            if (xioctl(c->fd, VIDIOC_DQBUF, &b) < 0) {
                if (errno == EAGAIN)
                    break;
                return ioctl_failed(c, errno, "VIDIOC_DQBUF");
            }
            if (b.index >= c->nbuf)
                return failed(c, SCAN_STATE_FAILED, _("camera %s gave a frame buffer it does not have"));
            int e = 0;
            if (b.flags & V4L2_BUF_FLAG_ERROR) {
                damaged = true;
                e = qbuf(c, b.index);     /* damaged in transfer: skip it */
            } else {
                if (newest >= 0)
                    e = qbuf(c, (unsigned)newest);
                newest = (int)b.index;
                used = b.bytesused ? b.bytesused : b.length;
            }
            if (e)
                return ioctl_failed(c, e, "VIDIOC_QBUF");
        }
        if (newest < 0) {
            if (p[0].revents & (POLLERR | POLLHUP | POLLNVAL))
                return failed(c, SCAN_STATE_MISSING, _("camera %s unplugged: plug it back in"));
            continue;
        }
        struct scan_frame f = c->f;
        f.data = c->buf[newest].start;
        f.len = used < c->buf[newest].len ? used : c->buf[newest].len;
        if (scanner_frame(sc, &f) >= 0) {
            last_good = clock_ms(CLOCK_MONOTONIC);
            damaged = false;
        } else {
            damaged = true;         /* short or broken: counted and skipped */
        }
        int e = qbuf(c, (unsigned)newest);
        if (e)
            return ioctl_failed(c, e, "VIDIOC_QBUF");
    }
}

void *camera_thread(void *arg)
{
    scanner *sc = arg;
    char why[SCAN_TEXT_MAX / 2];
    for (;;) {
        struct cam c = { .fd = -1, .path = src_path(sc, SCAN_SRC_CAMERA), .why = why, .whysz = sizeof why };
        src_tried(sc, SCAN_SRC_CAMERA);
        enum scan_state st = cam_open(&c);
        if (st == SCAN_STATE_ON) {
            char note[SCAN_TEXT_MAX / 2];
            /* TRANSLATORS: the device, the frame size, the format ("YUYV"). */
            snprintf(note, sizeof note, _("camera %s on: %dx%d %s"), c.path, c.f.width, c.f.height,
                     scan_pixfmt_name(c.f.format));
            src_on(sc, SCAN_SRC_CAMERA, note);
            st = cam_run(&c, sc);
        }
        cam_close(&c);
        if (st == SCAN_STATE_ON)
            break;                  /* closing */
        src_failed(sc, SCAN_SRC_CAMERA, st, why);
        if (!src_wait(sc, src_retry_ms(sc)))
            break;
    }
    return NULL;
}
