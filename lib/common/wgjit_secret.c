/* SPDX-License-Identifier: BSD-3-Clause
 * Copyright(c) 2026 The wgjit authors
 */

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "wgjit_err.h"
#include "wgjit_secret.h"

int
wgjit_secret_read(const char *path, char *buf, size_t size, char *err,
		size_t errlen)
{
	struct stat st;
	size_t len = 0;
	ssize_t n;
	int fd, ret = 0;

	if (path == NULL || buf == NULL || size < 2)
		return wgjit_errf(err, errlen, -EINVAL, "no secret file");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0 && errno == ELOOP)
		return wgjit_errf(err, errlen, -ELOOP, "%s is a symlink: name "
			"the file itself", path);
	if (fd < 0)
		return wgjit_errf(err, errlen, -errno, "%s: %s", path,
			strerror(errno));
	if (fstat(fd, &st) != 0)
		ret = wgjit_errf(err, errlen, -errno, "%s: %s", path,
			strerror(errno));
	else if (!S_ISREG(st.st_mode))
		ret = wgjit_errf(err, errlen, -EINVAL, "%s is not a regular file",
			path);
	else if ((st.st_mode & 077) != 0)
		ret = wgjit_errf(err, errlen, -EACCES, "%s is mode %04o: others "
			"could read or replace the secret (chmod 600 %s)", path,
			(unsigned int)(st.st_mode & 07777), path);
	while (ret == 0) {
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = wgjit_errf(err, errlen, -errno, "%s: %s", path,
				strerror(errno));
			break;
		}
		len += (size_t)n;
		if (n == 0)
			break;
		if (len == size - 1) {
			char extra;

			if (read(fd, &extra, 1) > 0)
				ret = wgjit_errf(err, errlen, -EFBIG,
					"%s is larger than %zu bytes", path,
					size - 1);
			sodium_memzero(&extra, 1);
			break;
		}
	}
	close(fd);
	buf[ret == 0 ? len : 0] = '\0';
	if (ret < 0) {
		sodium_memzero(buf, size);
		return ret;
	}
	return (int)len;
}

void *
wgjit_secret_alloc(size_t size)
{
	void *p;

	if (sodium_init() < 0) {
		errno = ENOMEM;
		return NULL;
	}
	p = sodium_malloc(size);
	if (p != NULL)
		memset(p, 0, size);
	return p;
}

void
wgjit_secret_free(void *p)
{
	sodium_free(p);
}
