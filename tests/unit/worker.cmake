fs_unit_test(test_plan SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_plan.c LIBS fs_worker)
fs_unit_test(test_intake SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_intake.c LIBS fs_collector)
fs_unit_test(test_person SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_person.c LIBS fs_worker)
fs_unit_test(test_bound SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_bound.c LIBS fs_worker)
