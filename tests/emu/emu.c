/* emu.c - an LD_PRELOAD library that makes two paths behave like devices
 * towards the unchanged scanner code: a V4L2 camera (emu_camera.c) and an
 * evdev keyboard-wedge scanner (emu_wedge.c). These machines have neither
 * a camera nor the kernel modules that fake one (v4l2loopback, uinput).
 *
 *   EMU_CAMERA=/dev/video9  EMU_CAMERA_CONTROL=FILE
 *   EMU_WEDGE=/dev/input/event9  EMU_WEDGE_CONTROL=FILE  EMU_WEDGE_CONSOLE=FILE
 *   EMU_STATUS=FILE   what the devices did, "name value" lines, for the
 *                     test to wait on (opens, frames, grabbed, ...)
 *
 * The control files hold "key = value" lines the test rewrites at any
 * time (emu_camera.c and emu_wedge.c list the keys); the devices read them
 * again as they run, so a test can unplug and replug mid-run.
 *
 * Under AddressSanitizer the sanitizer's runtime must come first:
 *   LD_PRELOAD="$(gcc -print-file-name=libasan.so) build/emu/libemu.so"
 * Its interceptors then call on into these, which call the C library. */
#define _GNU_SOURCE
#include "emu.h"

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

struct emu_real emu_real;

/* Resolved on first use as well as at load: under ASan, the sanitizer's
 * start-up calls these before this library's constructors have run. */
__attribute__((constructor)) static void emu_init(void)
{
    if (emu_real.read)
        return;
    emu_real.open = (int (*)(const char *, int, ...))dlsym(RTLD_NEXT, "open");
    emu_real.close = (int (*)(int))dlsym(RTLD_NEXT, "close");
    emu_real.ioctl = (int (*)(int, unsigned long, ...))dlsym(RTLD_NEXT, "ioctl");
    emu_real.mmap = (void *(*)(void *, size_t, int, int, int, off_t))dlsym(RTLD_NEXT, "mmap");
    emu_real.poll = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT, "poll");
    emu_real.fstat = (int (*)(int, struct stat *))dlsym(RTLD_NEXT, "fstat");
    emu_real.read = (ssize_t (*)(int, void *, size_t))dlsym(RTLD_NEXT, "read");
}

/* --- control and status files ---------------------------------------------------- */

void emu_control_or(const char *path, const char *key, char *out, size_t n, const char *dflt)
{
    if (!emu_control(path, key, out, n))
        snprintf(out, n, "%s", dflt);
}

bool emu_control(const char *path, const char *key, char *out, size_t n)
{
    FILE *f = path ? fopen(path, "r") : NULL;
    if (!f)
        return false;
    char line[4096];
    bool found = false;
    size_t klen = strlen(key);
    while (!found && fgets(line, sizeof line, f)) {
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (strncmp(p, key, klen) != 0)
            continue;
        p += klen;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p != '=')
            continue;
        p++;
        while (*p == ' ' || *p == '\t')
            p++;
        size_t len = strcspn(p, "\r\n");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        snprintf(out, n, "%.*s", (int)len, p);
        found = true;
    }
    fclose(f);
    return found;
}

#define STATUS_MAX 16
static pthread_mutex_t status_lock = PTHREAD_MUTEX_INITIALIZER;
static struct { char name[32]; long value; } status[STATUS_MAX];

void emu_status(const char *name, long value)
{
    const char *path = getenv("EMU_STATUS");
    if (!path)
        return;
    pthread_mutex_lock(&status_lock);
    int i = 0;
    while (i < STATUS_MAX && status[i].name[0] && strcmp(status[i].name, name) != 0)
        i++;
    if (i < STATUS_MAX) {
        snprintf(status[i].name, sizeof status[i].name, "%s", name);
        status[i].value = value;
    }
    /* Written whole and renamed, so a reader never sees half of it. */
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (f) {
        for (int k = 0; k < STATUS_MAX && status[k].name[0]; k++)
            fprintf(f, "%s %ld\n", status[k].name, status[k].value);
        if (fclose(f) == 0)
            rename(tmp, path);
    }
    pthread_mutex_unlock(&status_lock);
}

/* --- the calls taken over ---------------------------------------------------------- */

static int dev_open(const char *path, int flags, mode_t mode)
{
    int fd = path ? cam_open(path) : -2;
    if (fd == -2 && path)
        fd = wedge_open(path);
    if (fd == -2)
        fd = emu_real.open(path, flags, mode);
    return fd;
}

static mode_t mode_arg(int flags, va_list ap)
{
    return flags & (O_CREAT | O_TMPFILE) ? (mode_t)va_arg(ap, int) : 0;
}

int open(const char *path, int flags, ...)
{
    emu_init();
    va_list ap;
    va_start(ap, flags);
    mode_t mode = mode_arg(flags, ap);
    va_end(ap);
    return dev_open(path, flags, mode);
}

int open64(const char *path, int flags, ...) __attribute__((alias("open")));

int close(int fd)
{
    emu_init();
    if (cam_owns(fd))
        cam_close(fd);
    else if (wedge_owns(fd))
        wedge_close(fd);
    return emu_real.close(fd);
}

int ioctl(int fd, unsigned long req, ...)
{
    emu_init();
    va_list ap;
    va_start(ap, req);
    void *arg = va_arg(ap, void *);
    va_end(ap);
    if (cam_owns(fd))
        return cam_ioctl(fd, req, arg);
    if (wedge_owns(fd))
        return wedge_ioctl(fd, req, arg);
    return emu_real.ioctl(fd, req, arg);
}

void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    emu_init();
    if (cam_owns(fd))
        return cam_mmap(fd, len, prot, flags, off);
    return emu_real.mmap(addr, len, prot, flags, fd, off);
}

void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    return mmap(addr, len, prot, flags, fd, off);
}

int poll(struct pollfd *p, nfds_t n, int timeout)
{
    emu_init();
    int r = emu_real.poll(p, n, timeout);
    if (r < 0)
        return r;
    for (nfds_t i = 0; i < n; i++) {
        short extra = cam_owns(p[i].fd) ? cam_poll_extra(p[i].fd) : 0;
        if (extra && !p[i].revents)
            r++;
        p[i].revents |= extra;
    }
    return r;
}

/* Both devices are character devices, as the scanner checks. */
int fstat(int fd, struct stat *st)
{
    emu_init();
    int r = emu_real.fstat(fd, st);
    if (r == 0 && (cam_owns(fd) || wedge_owns(fd)))
        st->st_mode = S_IFCHR | 0660;
    return r;
}

int fstat64(int fd, struct stat64 *st)
{
    return fstat(fd, (struct stat *)st);
}

ssize_t read(int fd, void *buf, size_t n)
{
    emu_init();
    ssize_t r = emu_real.read(fd, buf, n);
    /* An unplugged input device says ENODEV; the pipe under it just ends. */
    if (r == 0 && wedge_owns(fd)) {
        errno = ENODEV;
        return -1;
    }
    return r;
}
