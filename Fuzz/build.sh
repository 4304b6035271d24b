#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) into .build-fuzz/:
#   ini-parser        httpd.ini text → IniParser.parse (rules, format strings, regexes)
#   format-string     one v2 format string, expanded against a match
#   rewrite-directives  mod_rewrite RewriteRule / RewriteCond / flags / templates
#   httpd-conf        httpd.conf text → lexer, tree builder (Include, Define, <If…>), compiler;
#                     the same text as an .htaccess
#   response-head     an extension's status + CGI-style header block → ResponseHeadParser
# Run one:  .build-fuzz/ini-parser -max_total_time=600 Fuzz/corpus/ini-parser
# (or keep the seeds clean: .build-fuzz/httpd-conf -max_total_time=600 .build-fuzz/work/httpd-conf Fuzz/corpus/httpd-conf,
#  after mkdir -p .build-fuzz/work/httpd-conf; libFuzzer adds what it finds to the first directory)
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -O -parse-as-library -I Sources/CPCRE2 -I "$out")
swiftc "${flags[@]}" -wmo -module-name PCRE2Regex -emit-module-path "$out/PCRE2Regex.swiftmodule" \
  -c Sources/PCRE2Regex/*.swift -o "$out/PCRE2Regex.o"
swiftc "${flags[@]}" -wmo -module-name RewriteEngine -emit-module-path "$out/RewriteEngine.swiftmodule" \
  -c $(find Sources/RewriteEngine -name '*.swift' | sort) -o "$out/RewriteEngine.o"
# -enable-testing: the httpd-conf target also compiles the text as an .htaccess (internal API).
swiftc "${flags[@]}" -wmo -enable-testing -module-name ServerConfig -emit-module-path "$out/ServerConfig.swiftmodule" \
  -c $(find Sources/ServerConfig -name '*.swift' | sort) -o "$out/ServerConfig.o"
# The header parser needs nothing else of ISAPIHost (no CISAPI, no swift-log): it is
# compiled alone, under the module's own name.
swiftc "${flags[@]}" -wmo -module-name ISAPIHost -emit-module-path "$out/ISAPIHost.swiftmodule" \
  -c Sources/ISAPIHost/ResponseHeadParser.swift -o "$out/ISAPIHost.o"
for target in Fuzz/*.swift; do
  name=$(basename "$target" .swift)
  case $name in
    httpd-conf) objects=("$out/PCRE2Regex.o" "$out/RewriteEngine.o" "$out/ServerConfig.o") ;;
    response-head) objects=("$out/ISAPIHost.o") ;;
    *) objects=("$out/PCRE2Regex.o" "$out/RewriteEngine.o") ;;
  esac
  swiftc "${flags[@]}" "$target" "${objects[@]}" -lpcre2-8 -o "$out/$name" 2>&1 \
    | grep -v "Cannot export local symbol" || true
  echo "built $out/$name"
done
