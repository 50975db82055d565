fs_unit_test(test_conf SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_conf.c LIBS fs_core)
fs_unit_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_core.c LIBS fs_core)
fs_unit_test(test_log_fields SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_log_fields.c LIBS fs_core)

# The configuration reference is generated from the programs' own tables;
# this fails when a setting changes without `scripts/gen-config-doc`.
add_test(NAME config_doc_current
  COMMAND ${PROJECT_SOURCE_DIR}/scripts/gen-config-doc ${PROJECT_BINARY_DIR} --check)
set_tests_properties(config_doc_current PROPERTIES TIMEOUT 60
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=0")
