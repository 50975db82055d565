# Unit tests of the collector's pure modules (no broker needed).
# (test_intake is declared in worker.cmake.)
fs_unit_test(test_collector_ratelimit
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_ratelimit.c LIBS fs_collector)
fs_unit_test(test_collector_metrics
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_metrics.c LIBS fs_collector)
fs_unit_test(test_collector_pixel
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_pixel.c LIBS fs_collector)
fs_unit_test(test_collector_access
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_access.c LIBS fs_collector)
fs_unit_test(test_collector_cpus
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_cpus.c LIBS fs_collector)
fs_unit_test(test_collector_hostile
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_hostile.c LIBS fs_collector)
fs_unit_test(test_collector_segment
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_collector_segment.c LIBS fs_collector)
