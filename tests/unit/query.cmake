# funnel-query: the pure report module (options, JSON/CSV/table rendering).
fs_unit_test(test_report
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_report.c ${PROJECT_SOURCE_DIR}/query/report.c
  LIBS fs_core fs_event)
target_include_directories(test_report PRIVATE ${PROJECT_SOURCE_DIR}/query)
