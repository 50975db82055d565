# Fuzz targets of the collector's pure modules (seed corpus in corpus/segment).
fs_fuzz_target(fuzz_segment SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_segment.c LIBS fs_collector)
