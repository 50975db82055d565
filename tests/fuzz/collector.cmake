# Fuzz targets of the collector's pure modules (seed corpus in corpus/httpcheck).
fs_fuzz_target(fuzz_httpcheck SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_httpcheck.c LIBS fs_collector)
