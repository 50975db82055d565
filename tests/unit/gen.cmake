# funnel-gen's generator (pure): determinism, docs/event.md fields, default types,
# duplicates, window, revenue; each line also goes through the validator.
fs_unit_test(test_gen
  SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_gen.c ${PROJECT_SOURCE_DIR}/producers/gen/gen.c
  LIBS fs_core fs_event PkgConfig::JANSSON)
target_include_directories(test_gen PRIVATE ${PROJECT_SOURCE_DIR}/producers/gen)
