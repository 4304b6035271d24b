/*
 * hello-cgi.c - the program of extensions/hello/hello.c as a CGI (bench/run.py,
 * scenario S2): what a user would otherwise run under Apache's mod_cgid. Same
 * status, Content-Type and body.
 *
 *   cc -O2 -o hello.cgi bench/hello-cgi.c
 */

#include <stdio.h>

int main(void)
{
    fputs("Status: 200 OK\r\nContent-Type: text/plain\r\n\r\n"
          "Hello from an ISAPI extension on isapid\n", stdout);
    return 0;
}
