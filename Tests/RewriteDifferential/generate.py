#!/usr/bin/env python3
"""Writes corpus/40-generated.json: the generated part of the differential corpus.

Deterministic (no randomness): rules built from a table of flags and substitutions,
crossed with a table of request tails (%XX, %2F, %3F, spaces, '..', double slashes,
long paths, non-ASCII). Re-run after editing, then re-record (run.py record).

    python3 Tests/RewriteDifferential/generate.py
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "40-generated.json")

# Request tails: what follows the rule's prefix. The first group is crossed with every
# rule; the second is dealt out round-robin so each rule also gets a few of them.
CORE_TAILS = [
    "abc?q=1",
    "a%20b",
    "a%3Fb",
    "a%25b?x=%25",
    "caf%C3%A9",
    "a%26b%3Dc",
]
EXTRA_TAILS = [
    "a%2Fb",
    "a/../b",
    "a//b",
    "a+b%2B",
    "%7Euser",
    "a;b=c",
    "x%0Ay",
    "a%23b",
    "A%5B1%5D",
    "a/./b/",
    "..%2F..%2Fetc",
    "%E2%82%AC?e=%E2%82%AC",
    "q?a=1&b=%20&c",
    "a?",
    "sub/dir/",
    "x.html?a=%2F",
    "seg/" + "long" * 60 + "/end",
    "%41%42c",
    "a%09b",
    "%C3%28",
]

# (name, substitution, flags): server-context rules are "^/g/<name>/(.*)$ <subst> <flags>".
RULES = [
    ("plain", "/t/plain/$1?x=$1", ""),
    ("keepq", "/t/keepq/$1", ""),
    ("emptyq", "/t/emptyq/$1?", ""),
    ("l", "/t/l/$1", "[L]"),
    ("r", "/t/r/$1?x=$1", "[R]"),
    ("r301", "/t/r301/$1", "[R=301,L]"),
    ("qsa", "/t/qsa/$1?x=$1", "[QSA]"),
    ("qsd", "/t/qsd/$1", "[QSD]"),
    ("qsl", "/t/qsl/$1", "[QSL]"),
    ("nc", "/t/nc/$1", "[NC]"),
    ("ne", "/t/ne/$1?x=$1", "[R,NE]"),
    ("b", "/t/b/$1?x=$1", "[B]"),
    ("br", "/t/br/$1?x=$1", "[B,R]"),
    ("bne", "/t/bne/$1?x=$1", "[B,BNE=/]"),
    ("end", "/t/end/$1", "[END]"),
    ("pt", "/t/pt/$1", "[PT]"),
    ("rqsa", "/t/rqsa/$1?x=$1", "[R,QSA]"),
    ("rqsd", "/t/rqsd/$1", "[R=302,QSD]"),
    ("abs", "http://elsewhere.test/$1?x=$1", "[R=302]"),
    ("amp", "/t/amp/$1?a=1&b=$1", "[QSA]"),
    ("f", "-", "[F]"),
    ("gone", "-", "[G]"),
    ("dash", "-", "[E=RW_A:$1]"),
]


def request(target, **extra):
    r = {"target": target}
    # D2: a path that decodes to bytes that are not UTF-8 (see differences.md).
    if "%C3%28" in target:
        r["difference"] = "D2"
    r.update(extra)
    return r


def tails_for(index, count=3):
    return [EXTRA_TAILS[(index * count + k) % len(EXTRA_TAILS)] for k in range(count)]


def server_flags_suite():
    lines = ["RewriteEngine On"]
    for name, subst, flags in RULES:
        lines.append(f"RewriteRule ^/g/{name}/(.*)$ {subst} {flags}".rstrip())
    lines += [
        "RewriteRule ^/g/n/(.*)_(.*)$ /g/n/$1-$2 [N]",
        "RewriteRule ^/g/n/(.*)$ /t/n/$1",
        "RewriteRule ^/g/c/(.*)$ /t/c1/$1 [C]",
        "RewriteRule ^/t/c1/(.*)$ /t/c2/$1",
        "RewriteRule ^/g/s/(.*)$ /t/s0/$1 [S=1]",
        "RewriteRule ^/t/s0/(.*)$ /t/skipped/$1",
        "RewriteRule ^/g/p/(.*)$ http://@UPSTREAM@/t/p/$1?x=$1 [P]",
    ]
    requests = []
    for i, (name, _, _) in enumerate(RULES):
        for tail in CORE_TAILS + tails_for(i):
            requests.append(request(f"/g/{name}/{tail}"))
    requests += [request("/G/NC/Abc"), request("/G/nc/x%20y"), request("/G/PLAIN/abc")]
    for tail in ["a_b_c", "a_b%20c_d?q=_", "___", "no-underscore"]:
        requests.append(request(f"/g/n/{tail}"))
    for tail in ["abc?q=1", "a%20b", "a%3Fb"]:
        requests.append(request(f"/g/c/{tail}"))
        requests.append(request(f"/g/s/{tail}"))
    for tail in ["abc?q=1", "a%20b", "a%3Fb", "caf%C3%A9", "a%25b"]:
        # D3: the proxied query keeps non-ASCII bytes escaped (see differences.md).
        requests.append(request(f"/g/p/{tail}", **({"difference": "D3"} if "%C3%A9" in tail else {})))
    return {
        "name": "gen-server-flags",
        "source": "generated (generate.py): one server-context rule per flag or flag pair, each crossed with the core request tails and three more",
        "server": lines,
        "requests": requests,
    }


def htaccess_flags_suite():
    """The same rules in a .htaccess with RewriteBase (relative substitutions)."""
    lines = ["RewriteEngine On", "RewriteBase /h/"]
    for name, subst, flags in RULES:
        if subst.startswith("/t/"):
            subst = "t/" + subst[3:]
        lines.append(f"RewriteRule ^{name}/(.*)$ {subst} {flags}".rstrip())
    lines += [
        # [L] ends the pass but the result is re-injected; [END] stops for good.
        "RewriteRule ^loopl/(.*)$ loopl2/$1 [L]",
        "RewriteRule ^loopl2/(.*)$ t/loopl2/$1 [L]",
        "RewriteRule ^loopend/(.*)$ loopend2/$1 [END]",
        "RewriteRule ^loopend2/(.*)$ t/loopend2/$1 [L]",
        "RewriteRule ^abspath/(.*)$ /t/abspath/$1 [L]",
        "RewriteRule ^n/(.*)_(.*)$ n/$1-$2 [N]",
        "RewriteRule ^n/(.*)$ t/n/$1 [L]",
        "RewriteRule ^self/(.*)$ self/$1",
    ]
    requests = []
    for i, (name, _, _) in enumerate(RULES):
        for tail in CORE_TAILS[:4] + tails_for(i + 5, 2):
            requests.append(request(f"/h/{name}/{tail}"))
    for tail in ["x", "a%20b?q=1"]:
        for name in ["loopl", "loopend", "abspath", "n"]:
            requests.append(request(f"/h/{name}/{tail}"))
    requests += [request("/h/n/a_b_c"), request("/h/self/x"), request("/h/H/NC/x"), request("/h/NC/abc")]
    return {
        "name": "gen-htaccess-flags",
        "source": "generated (generate.py): the flag rules of gen-server-flags in /h/.htaccess with RewriteBase /h/ and relative substitutions; plus [L] vs [END] under re-injection",
        "htaccess": {"h/": lines},
        "files": {"h/": "@dir"},
        "requests": requests,
    }


def directory_nobase_suite():
    """Rules in <Directory DOCROOT/d> without RewriteBase: the directory is the base."""
    rules = [
        ("plain", "t/plain/$1?x=$1", ""),
        ("r", "t/r/$1", "[R]"),
        ("rabs", "/t/rabs/$1", "[R]"),
        ("qsa", "t/qsa/$1?x=$1", "[QSA,L]"),
        ("end", "t/end/$1", "[END]"),
        ("b", "t/b/$1?x=$1", "[B,L]"),
        ("dotdot", "../t/dotdot/$1", "[L]"),
        ("f", "-", "[F]"),
    ]
    lines = [f"<Directory @DOCROOT@/d>", "    RewriteEngine On"]
    lines += [f"    RewriteRule ^{name}/(.*)$ {subst} {flags}".rstrip() for name, subst, flags in rules]
    lines.append("</Directory>")
    requests = []
    for i, (name, _, _) in enumerate(rules):
        for tail in CORE_TAILS[:4] + tails_for(i + 11, 1):
            requests.append(request(f"/d/{name}/{tail}"))
    return {
        "name": "gen-directory-nobase",
        "source": "generated (generate.py): rules in <Directory DOCROOT/d> without RewriteBase (relative substitutions and redirects)",
        "server": lines,
        "files": {"d/": "@dir"},
        "requests": requests,
    }


def directory_docroot_suite():
    """Rules in the suite's <Directory DOCROOT> lines (the runner's own section)."""
    lines = [
        "RewriteEngine On",
        "RewriteRule ^dr/plain/(.*)$ t/plain/$1?x=$1",
        "RewriteRule ^dr/r/(.*)$ t/r/$1 [R=301]",
        "RewriteRule ^dr/abs/(.*)$ /t/abs/$1 [R]",
        "RewriteRule ^dr/front/(.*)$ index.php?p=$1 [L,QSA]",
        "RewriteRule ^/dr/slash/(.*)$ t/never/$1",
    ]
    requests = []
    for name in ["plain", "r", "abs", "front", "slash"]:
        for tail in CORE_TAILS[:4]:
            requests.append(request(f"/dr/{name}/{tail}"))
    return {
        "name": "gen-directory-docroot",
        "source": "generated (generate.py): per-directory rules in <Directory DOCROOT> (the per-dir prefix is the DocumentRoot; a pattern starting with / never matches)",
        "directory": lines,
        "files": {"index.php": "@echo"},
        "requests": requests,
    }


def nested_inherit_suite():
    parent = [
        "RewriteEngine On",
        "RewriteRule ^(.*)\\.htm$ $1.html [L]",
        "RewriteRule ^parent-only$ t/parent-only [L]",
        "RewriteRule ^where$ t/where-parent [L]",
    ]
    htaccess = {
        "n/": parent,
        "n/child/": ["RewriteEngine On", "RewriteRule ^child-only$ t/child-only [L]", "RewriteRule ^where$ t/where-child [L]"],
        "n/inherit/": ["RewriteEngine On", "RewriteOptions Inherit",
                       "RewriteRule ^child-only$ t/child-only [L]", "RewriteRule ^where$ t/where-child [L]"],
        "n/before/": ["RewriteEngine On", "RewriteOptions InheritBefore",
                      "RewriteRule ^child-only$ t/child-only [L]", "RewriteRule ^where$ t/where-child [L]"],
        "n/off/": ["RewriteEngine Off"],
        "n/other/": ["DirectoryIndex index.html"],
        "n/inherit-nochild/": ["RewriteOptions Inherit"],
        "n/base/": ["RewriteEngine On", "RewriteOptions Inherit", "RewriteBase /virtual-base/",
                    "RewriteRule ^child-only$ t/child-only [L]"],
        "n/inherit/deeper/": ["RewriteEngine On", "RewriteOptions Inherit", "RewriteRule ^deep$ t/deep [L]"],
    }
    files = {"n/x.html": None}
    for d in ["child", "inherit", "before", "off", "other", "inherit-nochild", "base", "none", "inherit/deeper"]:
        files[f"n/{d}/x.html"] = None
    requests = [request("/n/x.htm"), request("/n/parent-only"), request("/n/where")]
    for d in ["child", "inherit", "before", "off", "other", "inherit-nochild", "base", "none", "inherit/deeper"]:
        for leaf in ["x.htm", "parent-only", "child-only", "where"]:
            requests.append(request(f"/n/{d}/{leaf}"))
    requests.append(request("/n/inherit/deeper/deep"))
    return {
        "name": "gen-nested-htaccess",
        "source": "generated (generate.py): nested .htaccess files with and without RewriteOptions Inherit / InheritBefore, RewriteEngine Off, a .htaccess without rewrite directives, none at all, and RewriteBase in a child",
        "htaccess": htaccess,
        "files": files,
        "requests": requests,
    }


def vhost_inherit_suite():
    server = [
        "RewriteEngine On",
        "RewriteRule ^/main-only$ /t/main-only [L]",
        "RewriteRule ^/both$ /t/main-both [L]",
        "<VirtualHost 127.0.0.1:@PORT@>",
        "    ServerName default.test",
        "</VirtualHost>",
        "<VirtualHost 127.0.0.1:@PORT@>",
        "    ServerName plain.test",
        "    RewriteEngine On",
        "    RewriteRule ^/vhost-only$ /t/vhost-only [L]",
        "    RewriteRule ^/both$ /t/vhost-both [L]",
        "</VirtualHost>",
        "<VirtualHost 127.0.0.1:@PORT@>",
        "    ServerName inherit.test",
        "    ServerAlias *.inherit.test",
        "    RewriteEngine On",
        "    RewriteOptions Inherit",
        "    RewriteRule ^/vhost-only$ /t/vhost-only [L]",
        "    RewriteRule ^/both$ /t/vhost-both [L]",
        "</VirtualHost>",
        "<VirtualHost 127.0.0.1:@PORT@>",
        "    ServerName before.test",
        "    RewriteEngine On",
        "    RewriteOptions InheritBefore",
        "    RewriteRule ^/vhost-only$ /t/vhost-only [L]",
        "    RewriteRule ^/both$ /t/vhost-both [L]",
        "</VirtualHost>",
        "<VirtualHost 127.0.0.1:@PORT@>",
        "    ServerName noengine.test",
        "    RewriteOptions Inherit",
        "</VirtualHost>",
    ]
    requests = []
    for host in ["default.test", "plain.test", "inherit.test", "www.inherit.test", "before.test", "noengine.test", "unknown.test"]:
        for path in ["/main-only", "/vhost-only", "/both"]:
            requests.append(request(path, headers={"Host": host}))
    return {
        "name": "gen-vhost-inherit",
        "source": "generated (generate.py): server-context rules in <VirtualHost> sections, with and without RewriteOptions Inherit / InheritBefore",
        "server": server,
        "requests": requests,
    }


VARIABLES = [
    "HTTP_HOST", "HTTP_USER_AGENT", "HTTP_REFERER", "HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_FORWARDED",
    "HTTP_PROXY_CONNECTION", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_USER", "REMOTE_IDENT", "REQUEST_METHOD",
    "SCRIPT_FILENAME", "PATH_INFO", "QUERY_STRING", "AUTH_TYPE", "DOCUMENT_ROOT", "SERVER_ADMIN",
    "SERVER_NAME", "SERVER_ADDR", "SERVER_PORT", "SERVER_PROTOCOL", "THE_REQUEST", "REQUEST_URI",
    "REQUEST_FILENAME", "IS_SUBREQ", "HTTPS", "REQUEST_SCHEME", "CONTEXT_PREFIX", "CONTEXT_DOCUMENT_ROOT",
    "HTTP:X-Custom", "HTTP:x-custom", "http_host", "ENV:RW_B", "ENV:NOT_SET", "HTTP:Content-Type",
    "SCRIPT_URL", "SCRIPT_URI",
]


def variables_suites():
    """Each variable's value, copied into RW_A by [E=...] and read back through the echo."""
    headers = {"User-Agent": "diff-agent/1.0", "Referer": "http://ref.test/a?b", "Cookie": "a=1; b=2",
               "Accept": "text/html", "X-Custom": "custom value", "Forwarded": "for=192.0.2.1"}
    server = ["RewriteEngine On", "RewriteRule ^/ - [E=RW_B:from-env]"]
    requests = []
    for i, var in enumerate(VARIABLES):
        server.append(f"RewriteRule ^/v/{i}/ - [E=RW_A:%{{{var}}}]")
        requests.append(request(f"/v/{i}/x/y", headers=headers, note=f"%{{{var}}}"))
    requests.append(request(f"/v/{VARIABLES.index('QUERY_STRING')}/x?a=1&b=%20", note="%{QUERY_STRING}"))
    requests.append(request(f"/v/{VARIABLES.index('REQUEST_URI')}/a%20b/%2e%2e/c?q", note="%{REQUEST_URI}"))
    requests.append(request(f"/v/{VARIABLES.index('THE_REQUEST')}/a%20b", note="%{THE_REQUEST}"))
    requests.append(request(f"/v/{VARIABLES.index('HTTP_HOST')}/x", headers={"Host": "Mixed.Case:8080"}, note="%{HTTP_HOST}"))
    requests.append(request(f"/v/{VARIABLES.index('SERVER_NAME')}/x", headers={"Host": "Mixed.Case:8080"}, note="%{SERVER_NAME}"))
    requests.append(request(f"/v/{VARIABLES.index('SERVER_PORT')}/x", headers={"Host": "Mixed.Case:8080"}, note="%{SERVER_PORT}"))
    requests.append(request(f"/v/{VARIABLES.index('REQUEST_METHOD')}/x", method="POST", headers={"Content-Length": "0"}, note="%{REQUEST_METHOD}"))
    requests.append(request(f"/v/{VARIABLES.index('HTTP:Content-Type')}/x", method="POST",
                            headers={"Content-Length": "0", "Content-Type": "text/plain"}, note="%{HTTP:Content-Type}"))
    server_suite = {
        "name": "gen-variables-server",
        "source": "generated (generate.py): the value of each %{VAR} a server-context rule sees (copied to RW_A with [E=], read back as REDIRECT_RW_A by the 404 echo)",
        "server": server,
        "files": {"v/": "@dir"},
        "requests": requests,
    }

    lines = ["RewriteEngine On", "RewriteRule ^ - [E=RW_B:from-env]"]
    dir_requests = []
    for i, var in enumerate(VARIABLES):
        lines.append(f"RewriteRule ^{i}/ - [E=RW_A:%{{{var}}}]")
        dir_requests.append(request(f"/pv/{i}/x/y", headers=headers, note=f"%{{{var}}}"))
    lines.append("RewriteRule ^file/ - [E=RW_A:%{REQUEST_FILENAME}|%{SCRIPT_FILENAME}|%{PATH_INFO}|%{REQUEST_URI}]")
    dir_requests += [request("/pv/file/exists.html/extra/path", note="REQUEST_FILENAME|SCRIPT_FILENAME|PATH_INFO|REQUEST_URI"),
                     request("/pv/file/exists.html", note="the file exists: no PATH_INFO"),
                     request("/pv/file/", note="the directory")]
    dir_suite = {
        "name": "gen-variables-htaccess",
        "source": "generated (generate.py): the value of each %{VAR} a .htaccess rule sees (per-directory: REQUEST_FILENAME is the mapped file, PATH_INFO is known)",
        "htaccess": {"pv/": lines},
        "files": {"pv/file/exists.html": None},
        "requests": dir_requests,
    }
    return [server_suite, dir_suite]


# (condition pattern, values of the X-V header to try)
CONDITIONS = [
    ("=abc", ["abc", "ABC", "abcd"]),
    ("=abc [NC]", ["ABC"]),
    ('=""', ["", "x"]),
    ("!=abc", ["abc", "x"]),
    ("<m", ["a", "m", "z", "M"]),
    (">m", ["n", "m", "N"]),
    ("<=m", ["m", "n"]),
    (">=m", ["m", "l"]),
    ("-eq10", ["10", "010", "9", "x"]),
    ("-ne10", ["10", "11"]),
    ("-lt10", ["9", "10", "-1"]),
    ("-le10", ["10", "11"]),
    ("-gt10", ["11", "10", "1e2"]),
    ("-ge10", ["10", "9"]),
    ("^a.c$", ["abc", "a-c", "ab"]),
    ("!^a", ["abc", "bac"]),
    ("^(a|b)+$ [NC]", ["AbBa", "abc"]),
    ("-f", ["@DOCROOT@/exists.html", "@DOCROOT@/nothere", "@DOCROOT@/dir"]),
    ("!-f", ["@DOCROOT@/exists.html", "@DOCROOT@/nothere"]),
    ("-d", ["@DOCROOT@/dir", "@DOCROOT@/exists.html"]),
    ("-s", ["@DOCROOT@/exists.html", "@DOCROOT@/empty.txt"]),
    ("-x", ["@DOCROOT@/script.php", "@DOCROOT@/exists.html"]),
    ("-l", ["@DOCROOT@/exists.html"]),
    ("-F", ["/exists.html", "/nothere"]),
    ("-U", ["/exists.html", "/nothere"]),
]


def conditions_suite():
    server = ["RewriteEngine On"]
    requests = []
    for i, (pattern, values) in enumerate(CONDITIONS):
        server.append(f"RewriteCond %{{HTTP:X-V}} {pattern}")
        server.append(f"RewriteRule ^/cond/{i}$ - [E=RW_A:matched]")
        for value in values:
            requests.append(request(f"/cond/{i}", headers={"X-V": value}, note=f"RewriteCond %{{HTTP:X-V}} {pattern}"))
    # [OR] chains and %N from the last matched condition
    server += [
        "RewriteCond %{HTTP:X-A} ^(a+)$ [OR]",
        "RewriteCond %{HTTP:X-B} ^(b+)$ [OR]",
        "RewriteCond %{HTTP:X-C} ^(c+)$",
        "RewriteCond %{HTTP:X-D} ^(d*)$",
        "RewriteRule ^/or3$ - [E=RW_A:m%1]",
        "RewriteCond %{HTTP:X-A} ^(a)(b)?(c)$",
        "RewriteRule ^/groups/(x)?(y)$ - [E=RW_A:[$1][$2][%1][%2][%3][%4]]",
        "RewriteCond %{REQUEST_URI} ^/backref/(.*)$",
        "RewriteCond %1 ^(.)(.*)$",
        "RewriteRule ^ - [E=RW_A:%2-%1]",
        "RewriteCond $1 ^x",
        "RewriteRule ^/dollarcond/(.*)$ - [E=RW_A:$1]",
    ]
    requests += [
        request("/or3", headers={"X-A": "aa", "X-D": "d"}),
        request("/or3", headers={"X-C": "cc", "X-D": ""}),
        request("/or3", headers={"X-B": "b", "X-C": "c"}),
        request("/or3", headers={"X-A": "aa", "X-D": "e"}),
        request("/groups/y", headers={"X-A": "ac"}),
        request("/groups/xy", headers={"X-A": "abc"}),
        request("/backref/hello"),
        request("/dollarcond/xyz"),
        request("/dollarcond/abc"),
    ]
    return {
        "name": "gen-conditions",
        "source": "generated (generate.py): RewriteCond operators (=, <, >, <=, >=, -eq..-ge, regex, !, [NC], -f, -d, -s, -x, -l, -F, -U), [OR] chains, %N from the last matched condition, $N in a condition",
        "server": server,
        "files": {"exists.html": None, "dir/": "@dir", "script.php": "@echo"},
        "root_files": {},
        "requests": requests,
    }


def main():
    suites = [server_flags_suite(), htaccess_flags_suite(), directory_nobase_suite(), directory_docroot_suite(),
              nested_inherit_suite(), vhost_inherit_suite()] + variables_suites() + [conditions_suite()]
    # An empty file for -s; every other file names itself.
    suites[-1]["files"]["empty.txt"] = "@empty"
    with open(OUT, "w", encoding="utf-8") as f:
        json.dump(suites, f, indent=1, ensure_ascii=False)
        f.write("\n")
    total = sum(len(s["requests"]) for s in suites)
    print(f"wrote {OUT}: {len(suites)} suites, {total} requests")


if __name__ == "__main__":
    main()
