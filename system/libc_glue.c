/* SPDX-License-Identifier: Apache-2.0 */
/**
 * The system calls newlib expects (newlib/libc/include/reent.h). Ferry has
 * no files and no processes: writes to fd 1 and 2 go to the console, the
 * heap is a bounded region from the linker script, the rest fail with
 * errno set. Formatted output is Ferry's own (lib/format.h): its callers
 * here (mbedtls's certificate verification messages, assertions) format
 * no floating point, and newlib's brought its float conversion (20 KiB of
 * the image) with it.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "hyp/arch.h"
#include "hyp/console.h"
#include "lib/format.h"

extern char __heap_start[], __heap_end[];

int _write(int fd, const void *buf, size_t len);
void *_sbrk(ptrdiff_t incr);
int _read(int fd, void *buf, size_t len);
int _close(int fd);
long _lseek(int fd, long off, int whence);
int _fstat(int fd, struct stat *st);
int _isatty(int fd);
int _getpid(void);
int _kill(int pid, int sig);
_Noreturn void _exit(int code);

int _write(int fd, const void *buf, size_t len)
{
	if (fd != 1 && fd != 2) {
		errno = EBADF;
		return -1;
	}
	console_write(buf, len);
	return (int)len;
}

void *_sbrk(ptrdiff_t incr)
{
	static char *brk = __heap_start;
	static struct spinlock lock;
	char *old;

	arch_spin_lock(&lock);
	old = brk;
	if ((incr > 0 && incr > __heap_end - brk) || (incr < 0 && -incr > brk - __heap_start)) {
		arch_spin_unlock(&lock);
		errno = ENOMEM;
		return (void *)-1;
	}
	brk += incr;
	arch_spin_unlock(&lock);
	return old;
}

int _read(int fd, void *buf, size_t len)
{
	(void)fd, (void)buf, (void)len;
	errno = EBADF;
	return -1;
}

int _close(int fd)
{
	(void)fd;
	errno = EBADF;
	return -1;
}

long _lseek(int fd, long off, int whence)
{
	(void)fd, (void)off, (void)whence;
	errno = ESPIPE;
	return -1;
}

int _fstat(int fd, struct stat *st)
{
	(void)fd;
	st->st_mode = S_IFCHR;
	return 0;
}

int _isatty(int fd) { return fd >= 0 && fd <= 2; }

int _getpid(void) { return 1; }

int _kill(int pid, int sig)
{
	(void)pid, (void)sig;
	errno = EINVAL;
	return -1;
}

_Noreturn void _exit(int code) { arch_power_off(code); }

int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	size_t n = format_vsnprintf(buf, size, fmt, ap);

	return n > INT_MAX ? -1 : (int)n;
}

int snprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* assert() in the libraries: said on the console, then as abort() goes. */
_Noreturn void __assert_func(const char *file, int line, const char *func, const char *expr);

_Noreturn void __assert_func(const char *file, int line, const char *func, const char *expr)
{
	console_printf("assertion \"%s\" failed: file \"%s\", line %d%s%s\n", expr, file, line,
		       func ? ", function: " : "", func ? func : "");
	abort();
}
