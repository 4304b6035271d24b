/*
 * fixture_log.h - lets a test fixture append lines to "<its own .dll path>.log",
 * so every copy of a fixture has its own log and tests can run in parallel.
 */
#ifndef FIXTURE_LOG_H
#define FIXTURE_LOG_H

#ifndef _GNU_SOURCE
# define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdarg.h>
#include <stdio.h>

__attribute__((unused)) static void fixture_note(const char *format, ...)
{
    Dl_info info;
    if (!dladdr((void *)&fixture_note, &info) || !info.dli_fname)
        return;
    char path[4096];
    snprintf(path, sizeof path, "%s.log", info.dli_fname);
    FILE *log = fopen(path, "a");
    if (!log)
        return;
    va_list args;
    va_start(args, format);
    vfprintf(log, format, args);
    va_end(args);
    fputc('\n', log);
    fclose(log);
}

/* Whether hinst is this library's dlopen handle. */
__attribute__((unused)) static int fixture_is_own_handle(void *hinst)
{
    Dl_info info;
    if (!dladdr((void *)&fixture_note, &info) || !info.dli_fname)
        return 0;
    void *own = dlopen(info.dli_fname, RTLD_NOW | RTLD_NOLOAD);
    if (own)
        dlclose(own);
    return own != NULL && own == hinst;
}

#endif
