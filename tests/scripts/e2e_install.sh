#!/bin/bash
# The installed package: `cmake --install` into a temporary prefix, then
#  - samples/cmake configured with find_package(slimrt) (CMAKE_PREFIX_PATH) and built: the
#    person-detection executable, classify and parallel from slimc_add_model(); touching a
#    load()ed model file or a file of the embedded checkpoint reruns slimc for exactly those;
#  - a consumer of slimc_add_model(... SHARED): linked with libslimrt.so, and it runs;
#  - C programs built with `pkg-config --cflags --libs slimrt` (static) and `slimrt-shared`
#    against a header made by the installed slimc -c, running two instances on two threads.
# usage: e2e_install.sh BUILD_DIR SHARED_DIR
set -u
BUILD=$(cd "$1" && pwd)
SHARED=$(cd "$2" && pwd)
SRC=${SLIMC_SOURCE_DIR:-$(cd "$(dirname "$0")/../.." && pwd)}
IMG=$SHARED/testdata/images
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
# a writable copy of the VWW checkpoint (3.5 MB), to touch its files
CK=$TMP/ckpt
cp -r "$SHARED/testdata/tf-checkpoints/vww-mobilenet-v1-025" "$CK" && chmod -R u+w "$CK" && rm -f "$CK/README.md"
fails=0
pass() { echo "ok   $1"; }
bad() { echo "FAIL $1"; fails=$((fails + 1)); }
check() { # NAME EXPECTED ACTUAL
  if [ "$2" == "$3" ]; then pass "$1"; else bad "$1: expected [$2], got [$3]"; fi
}
P=$TMP/prefix
# a sanitized build's libslimrt.a needs the sanitizer runtimes in every program linking it
SAN=
grep -q '^SLIMC_SANITIZE:BOOL=ON' "$BUILD/CMakeCache.txt" 2> /dev/null && SAN="-fsanitize=address,undefined"
SANFLAGS=(-DCMAKE_C_FLAGS="$SAN" -DCMAKE_EXE_LINKER_FLAGS="$SAN")

if cmake --install "$BUILD" --prefix "$P" > "$TMP/log" 2>&1; then pass "cmake --install"
else bad "cmake --install"; cat "$TMP/log"; exit 1; fi
for f in bin/slimc bin/slim-ckpt lib/libslimrt.a lib/libslimrt.so lib/libslimrt.so.0 include/slimrt/slimrt.h include/slimrt/slimrt_abi.h \
         lib/pkgconfig/slimrt.pc lib/pkgconfig/slimrt-shared.pc lib/cmake/slimrt/slimrtConfig.cmake \
         lib/slimc/targets/aarch64-linux-gnu/libslimrt.a; do
  [ -e "$P/$f" ] && pass "installed $f" || bad "installed $f"
done
# the installed slimc links --target=aarch64-linux-gnu with the installed aarch64 runtime
printf 'import tf_slim as slim\nmodel tiny(x: f32[1, 4]):\n    return slim.fully_connected(x, 2, scope="fc")\n' > "$TMP/tiny.slim"
if "$P/bin/slimc" --target=aarch64-linux-gnu -v "$TMP/tiny.slim" -o "$TMP/tiny_arm" > "$TMP/log" 2>&1 &&
   grep -qF "$P/bin/../lib/slimc/targets/aarch64-linux-gnu/libslimrt.a" "$TMP/log"; then
  pass "installed slimc --target=aarch64-linux-gnu links the installed aarch64 runtime"
else bad "installed slimc --target=aarch64-linux-gnu: $(head -3 "$TMP/log")"; fi
# the man pages are made from --help: every option and every sentence of it is in the page
for prog in slimc slim-ckpt; do
  page=$P/share/man/man1/$prog.1
  if [ -f "$page" ] && MANWIDTH=400 man -l "$page" > "$TMP/$prog.txt" 2> /dev/null; then
    missing=$("$P/bin/$prog" --help | sed -E 's/^usage: //; s/^ +//; s/  +/\n/g' | tr -s ' ' | grep -v '^$' |
      while read -r piece; do grep -qF -- "$piece" <(tr -s ' ' < "$TMP/$prog.txt") || echo "$piece"; done)
    check "man $prog has every piece of '$prog --help'" "" "$missing"
  else
    bad "man -l $page"
  fi
done

# ---- CMake: find_package(slimrt) + add_custom_command, on a copy of samples/ ----
(cd "$SRC/samples" && find . -name '*.slim' -o -name '*.c' -o -name '*.txt' -o -name CMakeLists.txt) |
  while read -r f; do mkdir -p "$TMP/samples/$(dirname "$f")"; cp "$SRC/samples/$f" "$TMP/samples/$f"; done
S=$TMP/samples-build
if cmake -S "$TMP/samples/cmake" -B "$S" -DCMAKE_PREFIX_PATH="$P" -DVWW_CHECKPOINT="$CK" "${SANFLAGS[@]}" > "$TMP/log" 2>&1 &&
   cmake --build "$S" -j2 > "$TMP/log2" 2>&1
then pass "samples/cmake configures and builds"
else bad "samples/cmake configures and builds"; tail -20 "$TMP/log" "$TMP/log2" 2> /dev/null; fi
grep -q "$P/bin/slimc" "$S/CMakeCache.txt" "$S"/CMakeFiles/*.dir/build.make 2> /dev/null \
  && pass "uses the installed slimc (SLIMC_EXECUTABLE)" || bad "uses the installed slimc (SLIMC_EXECUTABLE)"
if [ -x "$S/person_detection" ]; then
  ans=$("$S/person_detection" --input="$IMG/person.pgm" --top=1 --labels="$SRC/samples/person_detection/labels.txt")
  check "cmake-built person_detection: person.pgm" person "${ans% *}"
fi
if [ -x "$S/classify" ]; then
  check "cmake-built classify: no_person.pgm" "no person" \
    "$("$S/classify" "$IMG/no_person.pgm" | sed 's/^.*: \(.*\) [0-9.]*$/\1/')"
fi
if [ -x "$S/parallel" ]; then
  "$S/parallel" "$IMG/person.pgm" "$IMG/no_person.pgm" > "$TMP/par" 2>&1
  check "cmake-built parallel agrees" "two threads agree (80 runs)" "$(tail -1 "$TMP/par")"
fi
# an up-to-date build does nothing; touching a load()ed model file rebuilds the models
cmake --build "$S" > "$TMP/log3" 2>&1
grep -q "slimc:" "$TMP/log3" && bad "second build reran slimc" || pass "second build does nothing"
sleep 1
touch "$TMP/samples/mobilenet_v1.slim"
cmake --build "$S" > "$TMP/log4" 2>&1
check "touching mobilenet_v1.slim reruns slimc for both outputs" 2 "$(grep -c "slimc:" "$TMP/log4")"
for f in model.ckpt-963849.data-00000-of-00001 checkpoint; do
  sleep 1
  touch "$CK/$f"
  cmake --build "$S" > "$TMP/log5" 2>&1
  check "touching the checkpoint's $f reruns slimc for both outputs" \
    "slimc: person_detection (executable)|slimc: person_detection.o + person_detection.h" \
    "$(grep -o "slimc: .*" "$TMP/log5" | sort | paste -sd'|')"
done
cmake --build "$S" > "$TMP/log6" 2>&1
grep -q "slimc:" "$TMP/log6" && bad "build after that reran slimc" || pass "build after that does nothing"
# weights at run time when no checkpoint is embedded
S2=$TMP/samples-build2
if cmake -S "$TMP/samples/cmake" -B "$S2" -DCMAKE_PREFIX_PATH="$P" "${SANFLAGS[@]}" > /dev/null 2>&1 &&
   cmake --build "$S2" -j2 --target classify > /dev/null 2>&1; then
  check "classify with --checkpoint at run time" person \
    "$("$S2/classify" --checkpoint="$CK" "$IMG/person.pgm" 2>&1 | sed 's/^.*: \(.*\) [0-9.]*$/\1/')"
  "$S2/classify" "$IMG/person.pgm" > /dev/null 2>&1
  check "classify without weights fails (exit 1)" 1 $?
else
  bad "build without an embedded checkpoint"
fi

# ---- find_package(slimrt) + slimc_add_model(... SHARED): libslimrt.so ----
mkdir -p "$TMP/shared-app"
cat > "$TMP/shared-app/CMakeLists.txt" << EOF
cmake_minimum_required(VERSION 3.20)
project(shared_app C)
find_package(slimrt REQUIRED)
find_package(Threads REQUIRED)
slimc_add_model(pd_model "$SRC/samples/person_detection/person_detection.slim" SHARED OUTPUT person_detection
  CHECKPOINT "$CK" OPTIONS --restore-ema)
add_executable(par "$SRC/samples/cmake/parallel.c")
target_link_libraries(par PRIVATE pd_model Threads::Threads)
EOF
S3=$TMP/shared-app-build
if cmake -S "$TMP/shared-app" -B "$S3" -DCMAKE_PREFIX_PATH="$P" "${SANFLAGS[@]}" > "$TMP/log" 2>&1 &&
   cmake --build "$S3" > "$TMP/log2" 2>&1; then
  pass "slimc_add_model(SHARED) consumer builds"
  check "it links the installed libslimrt.so" "$P/lib/libslimrt.so.0" \
    "$(ldd "$S3/par" | grep -o "[^ ]*/libslimrt.so.0" | sed "s#//#/#g")"
  "$S3/par" "$IMG/person.pgm" "$IMG/no_person.pgm" > "$TMP/par3" 2>&1
  check "the shared consumer runs: two threads agree" "two threads agree (80 runs)" "$(tail -1 "$TMP/par3")"
else
  bad "slimc_add_model(SHARED) consumer builds"; tail -20 "$TMP/log" "$TMP/log2"
fi

# ---- pkg-config ----
export PKG_CONFIG_PATH=$P/lib/pkgconfig
flags=$(pkg-config --cflags --libs slimrt) && pass "pkg-config slimrt: $flags" || bad "pkg-config slimrt"
cd "$TMP" || exit 1
if "$P/bin/slimc" -c --checkpoint="$CK" --restore-ema "$SRC/samples/person_detection/person_detection.slim" \
     -o person_detection.o 2> "$TMP/err" &&
   cc -O2 $SAN -I. "$SRC/samples/cmake/parallel.c" person_detection.o $(pkg-config --cflags --libs slimrt) -o par 2>> "$TMP/err"
then pass "parallel.c built with pkg-config against the generated header"
else bad "parallel.c built with pkg-config"; cat "$TMP/err"; fi
if [ -x par ]; then
  ./par "$IMG/person.pgm" "$IMG/no_person.pgm" > "$TMP/par2" 2>&1
  check "two instances on two threads agree" 0 $?
  cat "$TMP/par2"
  ldd par | grep -q libslimrt && bad "the pkg-config (static) program needs libslimrt.so" \
    || pass "the pkg-config (static) program has no libslimrt.so dependency"
fi
sflags=$(pkg-config --cflags --libs slimrt-shared) && pass "pkg-config slimrt-shared: $sflags" || bad "pkg-config slimrt-shared"
if cc -O2 $SAN -I. "$SRC/samples/cmake/parallel.c" person_detection.o $sflags -o par_so 2> "$TMP/err"; then
  pass "parallel.c built with pkg-config slimrt-shared"
  check "it links libslimrt.so from the prefix" "$P/lib/libslimrt.so.0" \
    "$(LD_LIBRARY_PATH=$P/lib ldd par_so | grep -o "[^ ]*/libslimrt.so.0" | sed "s#//#/#g")"
  LD_LIBRARY_PATH=$P/lib ./par_so "$IMG/person.pgm" "$IMG/no_person.pgm" > "$TMP/par4" 2>&1
  check "shared: two instances on two threads agree" "two threads agree (80 runs)" "$(tail -1 "$TMP/par4")"
else
  bad "parallel.c built with pkg-config slimrt-shared"; cat "$TMP/err"
fi

[ $fails -eq 0 ] && echo "e2e_install: all passed" || echo "e2e_install: $fails failed"
[ $fails -eq 0 ]
