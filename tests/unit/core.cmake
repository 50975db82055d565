fs_unit_test(test_conf SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_conf.c LIBS fs_core)
fs_unit_test(test_core SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_core.c LIBS fs_core)
