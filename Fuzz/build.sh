#!/usr/bin/env bash
# Builds the libFuzzer targets (swiftc -sanitize=fuzzer,address) into .build-fuzz/:
#   ini-parser        httpd.ini text → IniParser.parse (rules, format strings, regexes)
#   format-string     one v2 format string, expanded against a match
#   rewrite-directives  mod_rewrite RewriteRule / RewriteCond / flags / templates
# Run one:  .build-fuzz/ini-parser -max_total_time=600 Fuzz/corpus/ini-parser
set -euo pipefail
cd "$(dirname "$0")/.."
out=.build-fuzz
mkdir -p "$out"
flags=(-sanitize=fuzzer,address -O -parse-as-library -I Sources/CPCRE2 -I "$out")
swiftc "${flags[@]}" -wmo -module-name PCRE2Regex -emit-module-path "$out/PCRE2Regex.swiftmodule" \
  -c Sources/PCRE2Regex/*.swift -o "$out/PCRE2Regex.o"
swiftc "${flags[@]}" -wmo -module-name RewriteEngine -emit-module-path "$out/RewriteEngine.swiftmodule" \
  -c $(find Sources/RewriteEngine -name '*.swift' | sort) -o "$out/RewriteEngine.o"
for target in Fuzz/*.swift; do
  name=$(basename "$target" .swift)
  swiftc "${flags[@]}" "$target" "$out/PCRE2Regex.o" "$out/RewriteEngine.o" -lpcre2-8 -o "$out/$name" 2>&1 \
    | grep -v "Cannot export local symbol" || true
  echo "built $out/$name"
done
