# funnel-query: the pure report module (options, JSON/CSV/table rendering).
fs_unit_test(test_report
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_report.c ${PROJECT_SOURCE_DIR}/query/report.c
  LIBS fs_core fs_event)
target_include_directories(test_report PRIVATE ${PROJECT_SOURCE_DIR}/query)
# funnel-query: attribution options, sums and renderings (pure).
fs_unit_test(test_report_attrib
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_report_attrib.c
          ${PROJECT_SOURCE_DIR}/query/attrib_report.c ${PROJECT_SOURCE_DIR}/query/report.c
  LIBS fs_core fs_event)
target_include_directories(test_report_attrib PRIVATE ${PROJECT_SOURCE_DIR}/query)
# funnel-query: handoff sums, exact median and renderings (pure).
fs_unit_test(test_report_handoff
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_report_handoff.c
          ${PROJECT_SOURCE_DIR}/query/handoff_report.c ${PROJECT_SOURCE_DIR}/query/report.c
  LIBS fs_core fs_event)
target_include_directories(test_report_handoff PRIVATE ${PROJECT_SOURCE_DIR}/query)
# The pure modules of funnel-query and serve, with store.c for the query
# module's reads (linked, never called: these tests need no Redis).
set(FS_QUERY_TESTED_SOURCES
  ${PROJECT_SOURCE_DIR}/query/query.c ${PROJECT_SOURCE_DIR}/query/series.c
  ${PROJECT_SOURCE_DIR}/query/report.c ${PROJECT_SOURCE_DIR}/query/attrib_report.c
  ${PROJECT_SOURCE_DIR}/query/handoff_report.c ${PROJECT_SOURCE_DIR}/query/store.c)
# funnel-query: daily series and the query options the CLI and the API share (pure).
fs_unit_test(test_series
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_series.c ${FS_QUERY_TESTED_SOURCES}
  LIBS fs_core fs_event fs_io PkgConfig::HIREDIS)
target_include_directories(test_series PRIVATE ${PROJECT_SOURCE_DIR}/query)
# funnel-query serve: routes, parameters, error bodies and metrics (pure).
fs_unit_test(test_api
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_api.c ${PROJECT_SOURCE_DIR}/query/api.c
          ${PROJECT_SOURCE_DIR}/query/serve_metrics.c ${FS_QUERY_TESTED_SOURCES}
  LIBS fs_core fs_event fs_io PkgConfig::HIREDIS)
target_include_directories(test_api PRIVATE ${PROJECT_SOURCE_DIR}/query)
