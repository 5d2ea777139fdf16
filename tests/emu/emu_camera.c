/* emu_camera.c - the emulated V4L2 capture device (see emu.c).
 *
 * The descriptor handed out is an eventfd, readable while a filled buffer
 * waits, so the scanner's poll() works as on a real device; the buffers
 * live in a memfd that mmap() maps. Once streaming, a thread fills the
 * next queued buffer FPS times a second with the control file's image,
 * scaled to fit and centred on white, in the negotiated format.
 *
 * Control keys (EMU_CAMERA_CONTROL), read at open and before every frame:
 *   state   = present | absent (open: ENOENT) | busy (open: EBUSY)
 *             | unplugged (streaming: ENODEV and POLLERR; open: ENOENT)
 *             | eio (streaming: EIO) | stalled (streams, never a frame)
 *   formats = YUYV,MJPG,...  offered by ENUM_FMT in that order; S_FMT
 *             gives the first when asked for another (default YUYV)
 *   size    = WxH   the driver insists on this size (default: as asked)
 *   pad     = N     bytes past each row (bytesperline > width)
 *   image   = FILE  a PNG to show; none or missing: a blank white frame
 *   fps     = N     frames a second (default 30)
 *   damaged = N     every Nth frame is flagged V4L2_BUF_FLAG_ERROR (1: all)
 *
 * Status (EMU_STATUS): cam_opens, cam_fds (open now), cam_streaming (0/1),
 * cam_frames; cam_images (image changes seen) and cam_image_us (when the
 * first frame of the latest was ready, CLOCK_MONOTONIC microseconds). */
#define _GNU_SOURCE
#include "emu.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <png.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jpeglib.h>

#define MAX_FD 1024
#define MAX_BUFS 8
#define MAX_FORMATS 8

enum buf_state { B_USER, B_QUEUED, B_DONE };

struct cam {
    int fd, memfd;
    pthread_mutex_t lock;
    pthread_t thread;
    bool running, stop;
    int gone;                   /* errno once unplugged or failing */
    uint32_t formats[MAX_FORMATS];
    int nformats;
    struct v4l2_pix_format pix;
    unsigned nbuf;
    size_t buflen;              /* page-aligned room of a buffer */
    unsigned char *map;         /* our own mapping of every buffer */
    enum buf_state state[MAX_BUFS];
    uint32_t used[MAX_BUFS], flags[MAX_BUFS], seqno[MAX_BUFS];
    unsigned long order[MAX_BUFS];  /* queue / done order */
    unsigned long ticket;
    uint32_t sequence;
    long frames;
};

static struct cam *cams[MAX_FD];
static long opens, nfds;

static const char *control_path(void)
{
    return getenv("EMU_CAMERA_CONTROL");
}

static void control(const char *key, char *out, size_t n, const char *dflt)
{
    emu_control_or(control_path(), key, out, n, dflt);
}

static long control_num(const char *key, long dflt)
{
    char v[64];
    return emu_control(control_path(), key, v, sizeof v) ? strtol(v, NULL, 10) : dflt;
}

static uint32_t fourcc_of(const char *s)
{
    return v4l2_fourcc(s[0], s[0] ? s[1] : ' ', s[0] && s[1] ? s[2] : ' ', s[0] && s[1] && s[2] ? s[3] : ' ');
}

bool cam_owns(int fd)
{
    return fd >= 0 && fd < MAX_FD && cams[fd];
}

int cam_open(const char *path)
{
    const char *dev = getenv("EMU_CAMERA");
    if (!dev || strcmp(path, dev) != 0)
        return -2;
    char st[32];
    control("state", st, sizeof st, "present");
    if (strcmp(st, "absent") == 0 || strcmp(st, "unplugged") == 0) {
        errno = ENOENT;
        return -1;
    }
    if (strcmp(st, "busy") == 0) {
        errno = EBUSY;
        return -1;
    }
    struct cam *c = calloc(1, sizeof *c);
    if (!c) {
        errno = ENOMEM;
        return -1;
    }
    c->fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    c->memfd = -1;
    if (c->fd < 0 || c->fd >= MAX_FD) {
        if (c->fd >= 0)
            emu_real.close(c->fd);
        free(c);
        errno = EMFILE;
        return -1;
    }
    pthread_mutex_init(&c->lock, NULL);
    char list[256];
    control("formats", list, sizeof list, "YUYV");
    for (char *save = NULL, *t = strtok_r(list, ", ", &save); t && c->nformats < MAX_FORMATS;
         t = strtok_r(NULL, ", ", &save))
        c->formats[c->nformats++] = fourcc_of(t);
    c->pix.pixelformat = c->nformats ? c->formats[0] : 0;
    c->pix.width = 640;
    c->pix.height = 480;
    cams[c->fd] = c;
    emu_status("cam_opens", ++opens);
    emu_status("cam_fds", ++nfds);
    return c->fd;
}

/* --- frames ----------------------------------------------------------------------- */

struct picture { char path[1024]; struct timespec mtime; int w, h; unsigned char *grey; };
static struct picture pic;   /* the last image loaded, for the frame thread */

static const unsigned char *load_picture(const char *path, int *w, int *h)
{
    struct stat st;
    if (!path[0] || strcmp(path, "none") == 0 || stat(path, &st) != 0)
        return NULL;
    if (strcmp(pic.path, path) == 0 && pic.mtime.tv_sec == st.st_mtim.tv_sec &&
        pic.mtime.tv_nsec == st.st_mtim.tv_nsec && pic.grey) {
        *w = pic.w;
        *h = pic.h;
        return pic.grey;
    }
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return NULL;
    im.format = PNG_FORMAT_GRAY;
    unsigned char *g = malloc(PNG_IMAGE_SIZE(im));
    png_color white = { 255, 255, 255 };
    if (!g || !png_image_finish_read(&im, &white, g, 0, NULL)) {
        free(g);
        png_image_free(&im);
        return NULL;
    }
    free(pic.grey);
    snprintf(pic.path, sizeof pic.path, "%s", path);
    pic.mtime = st.st_mtim;
    pic.grey = g;
    *w = pic.w = (int)im.width;
    *h = pic.h = (int)im.height;
    return g;
}

/* The picture scaled to fit (box average) and centred on white. */
static void render(const char *path, unsigned char *out, int ow, int oh)
{
    int iw, ih;
    const unsigned char *in = load_picture(path, &iw, &ih);
    memset(out, 255, (size_t)ow * oh);
    if (!in)
        return;
    double s = (double)iw / ow > (double)ih / oh ? (double)iw / ow : (double)ih / oh;
    if (s < 1)
        s = 1;      /* never enlarged */
    int w = (int)(iw / s), h = (int)(ih / s), x0 = (ow - w) / 2, y0 = (oh - h) / 2;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int sx0 = (int)(x * s), sy0 = (int)(y * s), sx1 = (int)((x + 1) * s), sy1 = (int)((y + 1) * s);
            long sum = 0, n = 0;
            for (int yy = sy0; yy < sy1 && yy < ih; yy++)
                for (int xx = sx0; xx < sx1 && xx < iw; xx++, n++)
                    sum += in[(size_t)yy * iw + xx];
            out[(size_t)(y0 + y) * ow + x0 + x] = (unsigned char)(n ? sum / n : 255);
        }
}

static size_t jpeg_frame(const unsigned char *grey, int w, int h, unsigned char *out, size_t room)
{
    struct jpeg_compress_struct j;
    struct jpeg_error_mgr err;
    j.err = jpeg_std_error(&err);
    jpeg_create_compress(&j);
    unsigned char *mem = NULL;
    unsigned long len = 0;
    jpeg_mem_dest(&j, &mem, &len);
    j.image_width = (JDIMENSION)w;
    j.image_height = (JDIMENSION)h;
    j.input_components = 3;
    j.in_color_space = JCS_YCbCr;   /* as a webcam's MJPEG: YCbCr, grey chroma */
    jpeg_set_defaults(&j);
    jpeg_set_quality(&j, 80, TRUE);
    jpeg_start_compress(&j, TRUE);
    unsigned char *row = malloc((size_t)w * 3);
    for (int y = 0; row && y < h; y++) {
        for (int x = 0; x < w; x++) {
            row[3 * x] = grey[(size_t)y * w + x];
            row[3 * x + 1] = row[3 * x + 2] = 128;
        }
        JSAMPROW r = row;
        jpeg_write_scanlines(&j, &r, 1);
    }
    jpeg_finish_compress(&j);
    jpeg_destroy_compress(&j);
    free(row);
    size_t n = len <= room ? len : 0;
    if (n)
        memcpy(out, mem, n);
    free(mem);
    return n;
}

/* One frame in the negotiated format into buf; the bytes used. */
static size_t fill(const char *image, const struct v4l2_pix_format *p, unsigned char *buf, size_t room)
{
    int w = (int)p->width, h = (int)p->height;
    size_t bpl = p->bytesperline;
    unsigned char *grey = malloc((size_t)w * h);
    if (!grey)
        return 0;
    render(image, grey, w, h);
    size_t used = p->sizeimage;
    switch (p->pixelformat) {
    case V4L2_PIX_FMT_MJPEG:
    case V4L2_PIX_FMT_JPEG:
        used = jpeg_frame(grey, w, h, buf, room);
        break;
    case V4L2_PIX_FMT_YUYV:
    case V4L2_PIX_FMT_UYVY: {
        int y0 = p->pixelformat == V4L2_PIX_FMT_YUYV ? 0 : 1;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                buf[y * bpl + 2 * x + y0] = grey[(size_t)y * w + x];
                buf[y * bpl + 2 * x + 1 - y0] = 128;
            }
        break;
    }
    default: {  /* GREY, NV12, YU12: the Y plane, then grey chroma */
        for (int y = 0; y < h; y++)
            memcpy(buf + y * bpl, grey + (size_t)y * w, (size_t)w);
        if (p->sizeimage > bpl * h)
            memset(buf + bpl * h, 128, p->sizeimage - bpl * h);
        break;
    }
    }
    free(grey);
    return used;
}

static void wake(struct cam *c)
{
    uint64_t one = 1;
    if (write(c->fd, &one, sizeof one) < 0) {
        /* the counter is full: it is readable already */
    }
}

static long now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000L + ts.tv_nsec / 1000;
}

static void *frame_thread(void *arg)
{
    struct cam *c = arg;
    char shown[1024] = "";      /* the image of the last frame */
    long images = 0;
    for (;;) {
        long fps = control_num("fps", 30);
        struct timespec ts = { 0, 1000000000L / (fps > 0 && fps <= 1000 ? fps : 30) };
        nanosleep(&ts, NULL);
        char st[32];
        control("state", st, sizeof st, "present");
        pthread_mutex_lock(&c->lock);
        if (c->stop) {
            pthread_mutex_unlock(&c->lock);
            break;
        }
        if (strcmp(st, "unplugged") == 0 || strcmp(st, "eio") == 0) {
            c->gone = st[0] == 'u' ? ENODEV : EIO;
            wake(c);
            pthread_mutex_unlock(&c->lock);
            break;
        }
        int next = -1;
        for (unsigned i = 0; i < c->nbuf; i++)
            if (c->state[i] == B_QUEUED && (next < 0 || c->order[i] < c->order[next]))
                next = (int)i;
        if (strcmp(st, "stalled") == 0 || next < 0) {
            pthread_mutex_unlock(&c->lock);
            continue;       /* no buffer queued: the driver drops the frame */
        }
        struct v4l2_pix_format p = c->pix;
        unsigned char *buf = c->map + (size_t)next * c->buflen;
        pthread_mutex_unlock(&c->lock);
        char image[1024];
        control("image", image, sizeof image, "none");
        size_t used = fill(image, &p, buf, c->buflen);   /* the buffer is the driver's now */
        long every = control_num("damaged", 0);
        pthread_mutex_lock(&c->lock);
        c->frames++;
        c->state[next] = B_DONE;
        c->used[next] = (uint32_t)used;
        c->flags[next] = used == 0 || (every > 0 && c->frames % every == 0) ? V4L2_BUF_FLAG_ERROR : 0;
        c->seqno[next] = c->sequence++;
        c->order[next] = ++c->ticket;
        long ready = now_us();
        wake(c);
        long frames = c->frames;
        pthread_mutex_unlock(&c->lock);
        emu_status("cam_frames", frames);
        if (strcmp(image, shown) != 0) {
            /* When the first frame of a new image was ready, for the
             * benchmark's frame-to-main-loop latency; said after the
             * wake-up, so the writing is not timed. */
            snprintf(shown, sizeof shown, "%s", image);
            emu_status("cam_image_us", ready);
            emu_status("cam_images", ++images);
        }
    }
    return NULL;
}

static void stream_off(struct cam *c)
{
    if (!c->running)
        return;
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    c->running = c->stop = false;
    for (unsigned i = 0; i < c->nbuf; i++)
        c->state[i] = B_USER;
    emu_status("cam_streaming", 0);
}

static void free_buffers(struct cam *c)
{
    if (c->map)
        munmap(c->map, c->nbuf * c->buflen);
    if (c->memfd >= 0)
        emu_real.close(c->memfd);
    c->map = NULL;
    c->memfd = -1;
    c->nbuf = 0;
}

void cam_close(int fd)
{
    struct cam *c = cams[fd];
    stream_off(c);
    free_buffers(c);
    cams[fd] = NULL;
    emu_status("cam_fds", --nfds);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

/* --- ioctls ------------------------------------------------------------------------- */

static int fail(int e)
{
    errno = e;
    return -1;
}

static bool offered(const struct cam *c, uint32_t f)
{
    for (int i = 0; i < c->nformats; i++)
        if (c->formats[i] == f)
            return true;
    return false;
}

/* What the driver makes of a format asked for. */
static void negotiate(const struct cam *c, struct v4l2_pix_format *p)
{
    if (!offered(c, p->pixelformat))
        p->pixelformat = c->formats[0];
    char size[64];
    int w, h;
    if (emu_control(control_path(), "size", size, sizeof size) && sscanf(size, "%dx%d", &w, &h) == 2) {
        p->width = (uint32_t)w;
        p->height = (uint32_t)h;
    }
    if (p->width < 16 || p->width > 4096)
        p->width = 640;
    if (p->height < 16 || p->height > 4096)
        p->height = 480;
    p->width &= ~1u;
    p->field = V4L2_FIELD_NONE;
    p->colorspace = V4L2_COLORSPACE_SRGB;
    uint32_t f = p->pixelformat;
    bool jpeg = f == V4L2_PIX_FMT_MJPEG || f == V4L2_PIX_FMT_JPEG;
    uint32_t row = f == V4L2_PIX_FMT_YUYV || f == V4L2_PIX_FMT_UYVY ? 2 * p->width : p->width;
    p->bytesperline = jpeg ? 0 : row + (uint32_t)control_num("pad", 0);
    uint32_t plane = p->bytesperline * p->height;
    p->sizeimage = jpeg ? p->width * p->height * 2
                 : f == V4L2_PIX_FMT_NV12 || f == V4L2_PIX_FMT_YUV420 ? plane + plane / 2
                 : plane;
}

static int reqbufs(struct cam *c, struct v4l2_requestbuffers *r)
{
    if (r->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || r->memory != V4L2_MEMORY_MMAP)
        return fail(EINVAL);
    if (c->running)
        return fail(EBUSY);
    free_buffers(c);
    if (r->count == 0)
        return 0;
    unsigned n = r->count < 2 ? 2 : r->count > MAX_BUFS ? MAX_BUFS : r->count;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    c->buflen = (c->pix.sizeimage + page - 1) / page * page;
    c->memfd = memfd_create("emu-camera", MFD_CLOEXEC);
    if (c->memfd < 0 || ftruncate(c->memfd, (off_t)(n * c->buflen)) != 0)
        return fail(ENOMEM);
    c->map = emu_real.mmap(NULL, n * c->buflen, PROT_READ | PROT_WRITE, MAP_SHARED, c->memfd, 0);
    if (c->map == MAP_FAILED) {
        c->map = NULL;
        return fail(ENOMEM);
    }
    c->nbuf = r->count = n;
    for (unsigned i = 0; i < n; i++)
        c->state[i] = B_USER;
    return 0;
}

static int buffer(struct cam *c, unsigned long req, struct v4l2_buffer *b)
{
    if (b->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || b->memory != V4L2_MEMORY_MMAP)
        return fail(EINVAL);
    if (req == VIDIOC_DQBUF) {
        if (c->gone)
            return fail(c->gone);
        if (!c->running)
            return fail(EINVAL);
        int done = -1;
        for (unsigned i = 0; i < c->nbuf; i++)
            if (c->state[i] == B_DONE && (done < 0 || c->order[i] < c->order[done]))
                done = (int)i;
        if (done < 0) {
            uint64_t v;
            if (read(c->fd, &v, sizeof v) < 0) {
                /* already drained */
            }
            return fail(EAGAIN);
        }
        c->state[done] = B_USER;
        b->index = (uint32_t)done;
    }
    if (b->index >= c->nbuf)
        return fail(EINVAL);
    unsigned i = b->index;
    if (req == VIDIOC_QBUF) {
        if (c->gone)
            return fail(c->gone);
        if (c->state[i] != B_USER)
            return fail(EINVAL);
        c->state[i] = B_QUEUED;
        c->order[i] = ++c->ticket;
    }
    b->length = c->pix.sizeimage;
    b->m.offset = (uint32_t)(i * c->buflen);
    b->bytesused = req == VIDIOC_DQBUF ? c->used[i] : 0;
    b->flags = V4L2_BUF_FLAG_MAPPED | (c->state[i] == B_QUEUED ? V4L2_BUF_FLAG_QUEUED : 0) |
               (c->state[i] == B_DONE ? V4L2_BUF_FLAG_DONE : 0) |
               (req == VIDIOC_DQBUF ? c->flags[i] : 0);
    b->field = V4L2_FIELD_NONE;
    b->sequence = c->seqno[i];
    return 0;
}

int cam_ioctl(int fd, unsigned long req, void *arg)
{
    struct cam *c = cams[fd];
    if (!arg)
        return fail(EFAULT);
    pthread_mutex_lock(&c->lock);
    int r = 0;
    switch (req) {
    case VIDIOC_QUERYCAP: {
        struct v4l2_capability *cap = arg;
        memset(cap, 0, sizeof *cap);
        snprintf((char *)cap->driver, sizeof cap->driver, "emu");
        snprintf((char *)cap->card, sizeof cap->card, "Emulated camera");
        snprintf((char *)cap->bus_info, sizeof cap->bus_info, "emu:0");
        cap->version = 0x060100;
        cap->device_caps = V4L2_CAP_VIDEO_CAPTURE | V4L2_CAP_STREAMING;
        cap->capabilities = cap->device_caps | V4L2_CAP_DEVICE_CAPS;
        break;
    }
    case VIDIOC_ENUM_FMT: {
        struct v4l2_fmtdesc *d = arg;
        if (d->type != V4L2_BUF_TYPE_VIDEO_CAPTURE || d->index >= (uint32_t)c->nformats) {
            r = fail(EINVAL);
            break;
        }
        uint32_t f = c->formats[d->index];
        memset(d->description, 0, sizeof d->description);
        snprintf((char *)d->description, sizeof d->description, "%.4s", (const char *)&f);
        d->pixelformat = f;
        d->flags = f == V4L2_PIX_FMT_MJPEG || f == V4L2_PIX_FMT_JPEG ? V4L2_FMT_FLAG_COMPRESSED : 0;
        break;
    }
    case VIDIOC_G_FMT:
    case VIDIOC_S_FMT:
    case VIDIOC_TRY_FMT: {
        struct v4l2_format *f = arg;
        if (f->type != V4L2_BUF_TYPE_VIDEO_CAPTURE) {
            r = fail(EINVAL);
            break;
        }
        if (req == VIDIOC_G_FMT) {
            f->fmt.pix = c->pix;
            break;
        }
        if (req == VIDIOC_S_FMT && c->nbuf) {
            r = fail(EBUSY);    /* buffers allocated: the format is fixed */
            break;
        }
        negotiate(c, &f->fmt.pix);
        if (req == VIDIOC_S_FMT)
            c->pix = f->fmt.pix;
        break;
    }
    case VIDIOC_REQBUFS:
        r = reqbufs(c, arg);
        break;
    case VIDIOC_QUERYBUF:
    case VIDIOC_QBUF:
    case VIDIOC_DQBUF:
        r = buffer(c, req, arg);
        break;
    case VIDIOC_STREAMON:
    case VIDIOC_STREAMOFF:
        if (*(int *)arg != V4L2_BUF_TYPE_VIDEO_CAPTURE) {
            r = fail(EINVAL);
        } else if (req == VIDIOC_STREAMOFF) {
            pthread_mutex_unlock(&c->lock);
            stream_off(c);
            return 0;
        } else if (c->gone) {
            r = fail(c->gone);
        } else if (!c->nbuf) {
            r = fail(EINVAL);
        } else if (!c->running) {
            c->running = pthread_create(&c->thread, NULL, frame_thread, c) == 0;
            r = c->running ? 0 : fail(ENOMEM);
            if (c->running)
                emu_status("cam_streaming", 1);
        }
        break;
    default:
        r = fail(ENOTTY);
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return r;
}

void *cam_mmap(int fd, size_t len, int prot, int flags, off_t off)
{
    struct cam *c = cams[fd];
    pthread_mutex_lock(&c->lock);
    bool ok = c->nbuf && (flags & MAP_SHARED) && off >= 0 && (size_t)off % c->buflen == 0 &&
              (size_t)off / c->buflen < c->nbuf && len <= c->buflen;
    int memfd = c->memfd;
    pthread_mutex_unlock(&c->lock);
    if (!ok) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    return emu_real.mmap(NULL, len, prot, flags, memfd, off);
}

short cam_poll_extra(int fd)
{
    struct cam *c = cams[fd];
    pthread_mutex_lock(&c->lock);
    short e = c->gone == ENODEV ? POLLERR : 0;
    pthread_mutex_unlock(&c->lock);
    return e;
}
