/*
 * loop.c - the extension's side of bench/writeclient-calls.sh: tinywrites.dll itself
 * (bench/extensions/tinywrites.c, S5), built as a shared object as run.py builds it, with
 * its loop and its empty WriteClient reachable from outside, so that the loop timed here
 * is the one S5 runs.
 */

#include "../extensions/tinywrites.c"

BOOL tinywrites_write_body(EXTENSION_CONTROL_BLOCK *ecb, int calls)
{
    return write_body(ecb, calls);
}

write_client_fn tinywrites_empty_write_client(void)
{
    return empty_write_client;
}
