# Tests of the attribution math (common/attrib/fs_attrib.c, docs/attribution.md).
fs_unit_test(test_attrib SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_attrib.c LIBS fs_attrib)

# Random journeys with fs_attrib's answers, as JSON lines for the referee.
add_executable(attrib_cases ${CMAKE_CURRENT_LIST_DIR}/attrib_cases.c)
target_link_libraries(attrib_cases PRIVATE fs_options fs_attrib)

# Referee: the independent Python oracle (tests/integration/attrib_oracle.py)
# recomputes 2000 journeys × 6 models (Debian's python3: stdlib only).
add_test(NAME attrib_python_oracle
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_LIST_DIR}/check_attrib_python.py
          $<TARGET_FILE:attrib_cases> 2000 1)
set_tests_properties(attrib_python_oracle PROPERTIES TIMEOUT 120
  ENVIRONMENT "FS_SOURCE_DIR=${PROJECT_SOURCE_DIR}")
