# Sourced by the *_binding_test.sh scripts, which look at the symbol bindings
# the dynamic linker makes for mexa's executables without running their code.
#
#   bindings_setup                  $work (a temporary folder, removed on exit)
#                                   and $work/stop.so, a stub whose constructor
#                                   ends the process once every relocation is
#                                   done (LD_BIND_NOW), before main
#   torch_executables BUILD REGEX   the ELF executables under BUILD whose
#                                   NEEDED list matches REGEX, one a line
#   bindings_of BIN                 the path of BIN's LD_DEBUG=bindings log
#                                   (empty when the loader wrote none); each
#                                   line: binding file FILE [0] to LIB [0]:
#                                   normal symbol `SYM' [VERSION]

bindings_setup() {
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  printf '#include <unistd.h>\n__attribute__((constructor)) static void stop(void) { _exit(0); }\n' > "$work/stop.c"
  if ! cc -shared -fPIC -o "$work/stop.so" "$work/stop.c"; then
    echo "FAIL cannot build the stub with cc"; exit 1
  fi
}

torch_executables() {
  find "$1" -type f -perm -u+x ! -name '*.so*' ! -path '*/CMakeFiles/*' | sort | while read -r f; do
    head -c 4 "$f" 2>/dev/null | grep -q 'ELF' || continue
    readelf -d "$f" 2>/dev/null | grep -qE "$2" && echo "$f"
  done
}

bindings_of() {
  local log="$work/$(basename "$1").bindings"
  rm -f "$log".*
  # verify_asan_link_order: the stub precedes libasan in sanitizer builds.
  LD_BIND_NOW=1 LD_DEBUG=bindings LD_DEBUG_OUTPUT="$log" LD_PRELOAD="$work/stop.so" \
    ASAN_OPTIONS=verify_asan_link_order=0 "$1" </dev/null >/dev/null 2>&1
  ls "$log".* 2>/dev/null | head -1
}
