# funnel-ingest's pure modules: line splitting (chunk boundaries, CRLF,
# overlong lines), the acknowledgement window (out-of-order acks), counts
# and summary, deterministic ids (checked against Python's uuid5), the
# checkpoint format and its durable write.
fs_unit_test(test_ingest
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_ingest.c
  LIBS fs_ingest_pure fs_core PkgConfig::JANSSON)
