# Unit tests of fs_event (common/event/): validation (docs/event.md), funnel definition,
# the JSON parser (fs_json.c) against jansson.
fs_unit_test(test_validate SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_validate.c LIBS fs_event)
fs_unit_test(test_definition SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_definition.c LIBS fs_event)
fs_unit_test(test_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_json.c LIBS fs_event)
# Labels shown in terminals, tables and CSV (fs_text.c): hostile inputs.
fs_unit_test(test_text SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_text.c LIBS fs_event)
# Channel grouping (fs_channel.c, docs/channels.md): every row of the built-in table.
fs_unit_test(test_channel SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_channel.c LIBS fs_event)
