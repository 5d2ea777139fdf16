/* emu.h - the device emulator for the tests (an LD_PRELOAD library):
 * what the dispatch (emu.c) shares with the emulated camera (emu_camera.c)
 * and wedge scanner (emu_wedge.c). See emu.c for how a test drives it. */
#ifndef TALLY_EMU_H
#define TALLY_EMU_H

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

/* The C library's own functions, found past this library. */
struct emu_real {
    int (*open)(const char *, int, ...);
    int (*close)(int);
    int (*ioctl)(int, unsigned long, ...);
    void *(*mmap)(void *, size_t, int, int, int, off_t);
    int (*poll)(struct pollfd *, nfds_t, int);
    int (*fstat)(int, struct stat *);
    ssize_t (*read)(int, void *, size_t);
};
extern struct emu_real emu_real;

/* The value of key in a control file ("key = value" lines), into out;
 * false if the file or the key is not there. */
bool emu_control(const char *path, const char *key, char *out, size_t n);
/* The same, or dflt when the key is not there. */
void emu_control_or(const char *path, const char *key, char *out, size_t n, const char *dflt);

/* Appends "name value" to the status file the test reads (EMU_STATUS),
 * replacing the line that had the same name. */
void emu_status(const char *name, long value);

/* The camera: -2 if path is not the emulated camera; else an fd or -1
 * with errno. */
int cam_open(const char *path);
bool cam_owns(int fd);
int cam_ioctl(int fd, unsigned long req, void *arg);
void *cam_mmap(int fd, size_t len, int prot, int flags, off_t off);
short cam_poll_extra(int fd);  /* POLLERR once unplugged */
void cam_close(int fd);

/* The wedge, the same way. */
int wedge_open(const char *path);
bool wedge_owns(int fd);
int wedge_ioctl(int fd, unsigned long req, void *arg);
void wedge_close(int fd);

#endif
