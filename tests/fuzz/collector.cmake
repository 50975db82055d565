# Fuzz targets of the collector's pure modules (seed corpora in corpus/httpcheck,
# corpus/segment).
fs_fuzz_target(fuzz_httpcheck SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_httpcheck.c LIBS fs_collector)
fs_fuzz_target(fuzz_segment SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_segment.c LIBS fs_collector)
