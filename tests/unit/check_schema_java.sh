#!/usr/bin/env bash
# Live referee for fs_schema.c against Java's SchemaNormalization (the
# reference implementation).  Needs java, javac and org.apache.avro:avro:1.11.1
# with its jackson/slf4j dependencies in ~/.m2 (mvn dependency:get
# -Dartifact=org.apache.avro:avro:1.11.1); exits 77 (ctest: skipped) without.
#   check_schema_java.sh FS_SCHEMA_TOOL SOURCE_DIR WORK_DIR
set -euo pipefail
tool=$1 src=$2 work=$3
m2=${HOME}/.m2/repository
cp=""
for j in org/apache/avro/avro/1.11.1/avro-1.11.1.jar \
         com/fasterxml/jackson/core/jackson-databind/2.12.7/jackson-databind-2.12.7.jar \
         com/fasterxml/jackson/core/jackson-core/2.12.7/jackson-core-2.12.7.jar \
         com/fasterxml/jackson/core/jackson-annotations/2.12.7/jackson-annotations-2.12.7.jar \
         org/slf4j/slf4j-api/1.7.36/slf4j-api-1.7.36.jar; do
  [ -f "$m2/$j" ] || { echo "skipped: $m2/$j missing"; exit 77; }
  cp=$cp:$m2/$j
done
command -v javac >/dev/null || { echo "skipped: no javac"; exit 77; }
mkdir -p "$work"
javac -d "$work" -cp "$cp" "$src/tests/unit/CanonRef.java"
pass=0 fail=0
for f in "$src"/schemas/*.avsc "$src"/tests/unit/schemas/*.avsc; do
  want=$(java -cp "$cp:$work" CanonRef "$f" 2>/dev/null)
  got="$("$tool" fingerprint "$f" | cut -d' ' -f1)	$("$tool" canonical "$f")"
  if [ "$want" = "$got" ]; then pass=$((pass+1)); echo "ok   $(basename "$f")"
  else fail=$((fail+1)); printf 'FAIL %s\n  java %s\n  ours %s\n' "$(basename "$f")" "$want" "$got"; fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
