#!/usr/bin/env python3
"""Writes corpus/te-cl.json: Content-Length / Transfer-Encoding framing variants.

Regenerate after editing: python3 Tests/Conformance/generate.py

Every rejected variant carries a complete second request after its would-be body
(`GET /smuggled ...`); the expectation "single" makes sure it is never answered as a
request of its own (RFC 9112 §6.3: a server that rejects a message whose framing is
faulty must close the connection, so nothing after it may be served). Accepted variants
(legitimate spellings of `chunked`) must answer both requests (responses=2), showing the
body was framed as the chunked coding.

Python 3 standard library only.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "corpus", "te-cl.json")

HOST = "Host: localhost\r\n"
SMUGGLED = "GET /smuggled HTTP/1.1\r\nHost: localhost\r\n\r\n"
FOLLOW = "GET /a.txt HTTP/1.1\r\nHost: localhost\r\n\r\n"
CHUNKED_BODY = "5\r\nhello\r\n0\r\n\r\n"
REJECT = ["400|501", "close", "single"]
REJECT_400 = ["400", "close", "single"]

# Transfer-Encoding values that mean "chunked" (RFC 9110 §5.6.1: case-insensitive token,
# OWS around the value and empty list elements are allowed).
VALID_TE = [
    "chunked", "Chunked", "CHUNKED", "cHuNkEd", " chunked", "chunked ", "\tchunked", "chunked\t",
    "  chunked  ", ",chunked", "chunked,", ", chunked", "chunked ,", ",,chunked",
]

# Values that must be rejected: unknown codings (501), chunked not last or repeated (400),
# and every obfuscation of "chunked" (not the token chunked: an unknown coding, or not a
# valid field value at all).
INVALID_TE = [
    ("identity", "400|501"), ("gzip", "400|501"), ("deflate", "400|501"), ("compress", "400|501"), ("x-gzip", "400|501"),
    ("gzip, chunked", "501"), ("deflate, chunked", "501"), ("identity, chunked", "501"),
    ("chunked, identity", "400"), ("chunked, gzip", "400"), ("chunked, chunked", "400"),
    ("chunked,chunked", "400"), ("chunked, chunked, chunked", "400"),
    ("chunked;x", "400|501"), ("chunked; x=1", "400|501"), ("chunked;", "400|501"),
    ("xchunked", "400|501"), ("chunkedx", "400|501"), ("chunk", "400|501"), ("chunke d", "400|501"),
    ("ch unked", "400|501"), ("\"chunked\"", "400|501"), ("'chunked'", "400|501"), ("chunked\\", "400|501"),
    ("chunked\\x0b", "400|501"), ("\\x0bchunked", "400|501"), ("chunked\\x0c", "400|501"),
    ("\\x0cchunked", "400|501"), ("chunked\\x00", "400|501"), ("\\x00chunked", "400|501"),
    ("chunked\\x01", "400|501"), ("chunked\\x7f", "400|501"), ("chunked\\xff", "400|501"),
    ("\\xffchunked", "400|501"), ("chunked\\xa0", "400|501"), ("\\xc2\\xa0chunked", "400|501"),
    ("chunked\\r", "400|501"), ("chunk\\red", "400|501"), ("chun\\x00ked", "400|501"),
    ("chunked/1.1", "400|501"), ("chunked.", "400|501"), ("chunked-", "400|501"), ("-chunked", "400|501"),
    ("\u212aunked", "400|501"),  # Kelvin sign K: uppercases to K in some libraries
    ("chunke\u017fd", "400|501"),  # long s
    ("", "400|501"), (" ", "400|501"), (",", "400|501"), ("identity;q=1, chunked", "501"),
    ("x, chunked", "501"), ("chunked chunked", "400|501"), ("chunked;chunked", "400|501"),
    ("cHuNkEd, iDeNtItY", "400"),
]

# Header names: accepted spellings, and near misses that are other fields (ignored) or
# not valid field lines (400).
TE_NAME_VARIANTS_VALID = ["Transfer-Encoding", "transfer-encoding", "TRANSFER-ENCODING", "tRaNsFeR-eNcOdInG"]
TE_NAME_VARIANTS_INVALID_LINE = [
    "Transfer-Encoding ", "Transfer-Encoding\t", " Transfer-Encoding", "\tTransfer-Encoding",
    "Transfer-Encoding\\x0b", "Transfer-Encoding\\x00", "Transfer\\x00-Encoding", "Transfer Encoding",
]
TE_NAME_VARIANTS_OTHER_FIELD = ["Transfer_Encoding", "TransferEncoding", "X-Transfer-Encoding", "Transfer-Encodings",
                                "Transfer-Encoding-", "Content-Encoding"]

CL_INVALID = [
    "-1", "-0", "+5", "5 5", "5, 6", "6, 5", "0x5", "5a", "a5", "1e3", "5.0", "5.", ".5", "", " ", "\"5\"",
    "99999999999999999999", "18446744073709551616", "18446744073709551621", "9223372036854775808",
    "9223372036854775807", "-9223372036854775808", "5\\x00", "\\x005", "5\\x0b", "\\x0b5", "٥", "５",
    "5;", "5;x=1", "5 ,", "0x00000005", "5/5",
]
# Values RFC 9110 §8.6 allows a recipient to accept as 5 (leading zeros are digits;
# OWS is trimmed) or, for a list of identical values, to reject.
CL_VALID = ["5", "05", "00005", " 5", "5 ", "\t5\t"]
CL_IDENTICAL_LIST = ["5, 5", "5,5", "5,5,5"]


def case(name, bytes_, expect, note=None):
    c = {"name": name, "bytes": bytes_, "expect": expect}
    if note:
        c["note"] = note
    return c


def generate():
    cases = []
    seen = set()

    def add(name, bytes_, expect, note=None):
        base, n = name, 2
        while name in seen:
            name = f"{base}~{n}"
            n += 1
        seen.add(name)
        cases.append(case(name, bytes_, expect, note))

    def label(text):
        return json.dumps(text)[1:-1] if text else "(empty)"

    # ---- Transfer-Encoding alone, HTTP/1.1
    for value in VALID_TE:
        add(f"te-valid {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\n\r\n{CHUNKED_BODY}{FOLLOW}",
            ["200", "responses=2"], "POST to a static file is served as GET (as Apache): the chunked body is read, then the next request")
        add(f"te-valid-get {label(value)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\n\r\n{CHUNKED_BODY}{FOLLOW}",
            ["200", "responses=2"])
    for value, status in INVALID_TE:
        empty = value.strip(" ,") == ""
        expect = [status, "close", "single"]
        add(f"te-invalid {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\n\r\n0\r\n\r\n{SMUGGLED}", expect)
        # with a Content-Length covering the rest (TE.CL / CL.TE desync attempt)
        body = f"0\r\n\r\n{SMUGGLED}"
        add(f"te-invalid+cl {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: {len(body.encode())}\r\nTransfer-Encoding: {value}\r\n\r\n{body}",
            ["400|501", "close", "single"])
        # in HTTP/1.0 (RFC 9112 §6.1: framing is faulty, close)
        add(f"te-invalid-http10 {label(value)}",
            f"POST /a.txt HTTP/1.0\r\nTransfer-Encoding: {value}\r\n\r\n0\r\n\r\n{SMUGGLED}", ["400|501", "close", "single"])
        # duplicated header: chunked first, then the variant (an empty value only adds
        # empty list elements: chunked, valid; see the te-dup-chunked cases)
        if empty:
            continue
        add(f"te-dup chunked+{label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: chunked\r\nTransfer-Encoding: {value}\r\n\r\n0\r\n\r\n{SMUGGLED}",
            ["400|501", "close", "single"])
        add(f"te-dup {label(value)}+chunked",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n{SMUGGLED}",
            ["400|501", "close", "single"] if status != "400|501" or True else expect)

    # ---- valid chunked together with Content-Length (RFC 9112 §6.3: reject, close)
    for value in VALID_TE:
        body = f"0\r\n\r\n{SMUGGLED}"
        n = len(body.encode())
        add(f"te+cl {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: {n}\r\nTransfer-Encoding: {value}\r\n\r\n{body}", REJECT_400)
        add(f"cl+te-after {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\nContent-Length: {n}\r\n\r\n{body}", REJECT_400)
        add(f"te+cl-short {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: 3\r\nTransfer-Encoding: {value}\r\n\r\n{body}", REJECT_400)
        add(f"te+cl0 {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: 0\r\nTransfer-Encoding: {value}\r\n\r\n{body}", REJECT_400)
        add(f"te-http10 {label(value)}",
            f"POST /a.txt HTTP/1.0\r\nTransfer-Encoding: {value}\r\n\r\n{body}", REJECT_400)
        add(f"te-http10+host {label(value)}",
            f"GET /a.txt HTTP/1.0\r\n{HOST}Transfer-Encoding: {value}\r\n\r\n{body}", REJECT_400)

    # ---- duplicated chunked
    for first, second in [("chunked", ""), ("", "chunked"), ("chunked", ","), (" ", "chunked")]:
        add(f"te-dup-empty {label(first)}+{label(second)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {first}\r\nTransfer-Encoding: {second}\r\n\r\n{CHUNKED_BODY}{FOLLOW}",
            ["200", "responses=2"], "an empty field line only adds empty list elements (RFC 9110 §5.6.1, §5.3)")
    for first, second in [("chunked", "chunked"), ("chunked", "Chunked"), ("Chunked", " chunked")]:
        add(f"te-dup-chunked {label(first)}+{label(second)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {first}\r\nTransfer-Encoding: {second}\r\n\r\n0\r\n\r\n{SMUGGLED}",
            ["400|501", "close", "single"])

    # ---- obs-fold around Transfer-Encoding (RFC 9112 §5.2: reject, or replace with SP)
    for fold in ["\r\n chunked", "\r\n\tchunked", " \r\n chunked", "\r\n  chunked"]:
        add(f"te-obsfold {label(fold)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding:{fold}\r\n\r\n{CHUNKED_BODY}{FOLLOW}",
            ["400", "close", "single"], "isapid rejects every obs-fold (RFC 9112 §5.2 allows either)")
    for value in ["identity", "gzip", "x"]:
        add(f"te-obsfold {value},chunked",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: {value}\r\n , chunked\r\n\r\n0\r\n\r\n{SMUGGLED}",
            ["400|501", "close", "single"])
        add(f"te-obsfold chunked,{value}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: chunked\r\n , {value}\r\n\r\n0\r\n\r\n{SMUGGLED}",
            ["400|501", "close", "single"])
    add("te-obsfold-after-other-field",
        f"POST /a.txt HTTP/1.1\r\n{HOST}X-A: b\r\n Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n{SMUGGLED}",
        ["400", "close", "single"])

    # ---- header-name spellings
    for name in TE_NAME_VARIANTS_VALID:
        add(f"te-name {label(name)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}{name}: chunked\r\n\r\n{CHUNKED_BODY}{FOLLOW}", ["200", "responses=2"])
        add(f"te-name+cl {label(name)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: 40\r\n{name}: chunked\r\n\r\n0\r\n\r\n{SMUGGLED}", REJECT_400)
    for name in TE_NAME_VARIANTS_INVALID_LINE:
        body = f"0\r\n\r\n{SMUGGLED}"
        add(f"te-name-invalid {label(name)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}{name}: chunked\r\n\r\n{body}", REJECT_400)
        add(f"te-name-invalid+cl {label(name)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: {len(body)}\r\n{name}: chunked\r\n\r\n{body}", REJECT_400)
    for name in TE_NAME_VARIANTS_OTHER_FIELD:
        # another field: Content-Length frames the body, the smuggled text is body bytes
        body = f"0\r\n\r\n{SMUGGLED}"
        add(f"te-name-other+cl {label(name)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: {len(body)}\r\n{name}: chunked\r\n\r\n{body}",
            ["200", "single"], "not Transfer-Encoding: Content-Length frames the body")

    # ---- Content-Length values
    for value in CL_INVALID:
        add(f"cl-invalid {label(value)}",
            f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: {value}\r\n\r\nhello{SMUGGLED}", ["400|413", "close", "single"])
        add(f"cl-invalid-get {label(value)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length: {value}\r\n\r\nhello{SMUGGLED}", ["400|413", "close", "single"])
    for value in CL_VALID:
        add(f"cl-valid {label(value)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length: {value}\r\n\r\nhello{FOLLOW}", ["200", "responses=2"])
    for value in CL_IDENTICAL_LIST:
        add(f"cl-identical-list {label(value)}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length: {value}\r\n\r\nhello{SMUGGLED}", REJECT_400,
            "RFC 9110 §8.6 allows accepting a list of identical values or rejecting it; isapid rejects")
    add("cl-dup-same", f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length: 5\r\nContent-Length: 5\r\n\r\nhello{SMUGGLED}",
        REJECT_400, "RFC 9110 §8.6 allows accepting identical duplicates or rejecting them; isapid rejects")
    for a, b in [("5", "6"), ("6", "5"), ("5", "0"), ("0", "5"), ("5", ""), ("5", "-5"), ("5", "05x")]:
        add(f"cl-dup-conflict {a}/{b}",
            f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length: {a}\r\nContent-Length: {b}\r\n\r\nhello\r\n{SMUGGLED}",
            REJECT_400)
    add("cl-too-large-for-limit",
        f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: 1048577\r\n\r\nhello", ["413", "close"])
    add("cl-huge-but-valid-number",
        f"POST /a.txt HTTP/1.1\r\n{HOST}Content-Length: 1000000000000\r\n\r\nhello", ["413", "close"])
    add("cl-name-space-before-colon",
        f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length : 5\r\n\r\nhello{SMUGGLED}", REJECT_400)
    add("cl-name-leading-ws-line",
        f"GET /a.txt HTTP/1.1\r\n{HOST} Content-Length: 5\r\n\r\nhello{SMUGGLED}", REJECT_400)
    add("cl-obsfold",
        f"GET /a.txt HTTP/1.1\r\n{HOST}Content-Length:\r\n 5\r\n\r\nhello{SMUGGLED}", REJECT_400)
    add("cl-http10-body",
        f"POST /a.txt HTTP/1.0\r\nContent-Length: 5\r\n\r\nhello", ["200", "close"])

    # ---- chunked body framing errors
    chunk_bodies = [
        ("chunk-size-negative", "-5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-overflow", "10000000000000000\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-overflow-64", "ffffffffffffffffff\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-0x", "0x5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-plus", "+5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-space-before", " 5\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-empty", "\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-bare-cr", "5\rhello\r\n0\r\n\r\n"),
        ("chunk-data-too-long", "3\r\nhello\r\n0\r\n\r\n"),
        ("chunk-data-no-crlf", "5\r\nhelloXX0\r\n\r\n"),
        ("chunk-size-nonhex", "g\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-nul", "5\\x00\r\nhello\r\n0\r\n\r\n"),
        ("chunk-ext-bare-cr", "5;a\rb\r\nhello\r\n0\r\n\r\n"),
        ("chunk-last-nonzero-then-garbage", "5\r\nhello\r\nzz\r\n\r\n"),
        ("chunk-trailer-invalid", "0\r\nbad trailer\r\n\r\n"),
        ("chunk-trailer-nul", "0\r\nX-T: a\\x00b\r\n\r\n"),
        # Bare LF ends no chunk line under HttpProtocolOptions Strict (Apache: 400 too).
        ("chunk-bare-lf", "5\nhello\n0\n\n"),
    ]
    for name, body in chunk_bodies:
        add(name, f"GET /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: chunked\r\n\r\n{body}{SMUGGLED}", REJECT_400)
    valid_chunks = [
        ("chunk-size-leading-zeros", "0005\r\nhello\r\n0\r\n\r\n"),
        ("chunk-size-uppercase-hex", "A\r\nhellohello\r\n0\r\n\r\n"),
        ("chunk-ext", "5;name=value\r\nhello\r\n0\r\n\r\n"),
        ("chunk-ext-quoted", "5;name=\"v;x\"\r\nhello\r\n0\r\n\r\n"),
        ("chunk-last-000", "5\r\nhello\r\n000\r\n\r\n"),
        ("chunk-trailer-valid", "5\r\nhello\r\n0\r\nX-Trailer: yes\r\n\r\n"),
    ]
    for name, body in valid_chunks:
        add(name, f"GET /a.txt HTTP/1.1\r\n{HOST}Transfer-Encoding: chunked\r\n\r\n{body}{FOLLOW}", ["200", "responses=2"])
    return cases


def main():
    cases = generate()
    with open(OUT, "w", encoding="utf-8") as f:
        f.write("[\n")
        f.write(",\n".join(json.dumps(c, ensure_ascii=False) for c in cases))
        f.write("\n]\n")
    print(f"wrote {len(cases)} cases to {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
