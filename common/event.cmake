# fs_event — the journey event (docs/event.md), its validation, the funnel
# definition (docs/funnel-definition.md), UUIDv4 event ids, UTF-8 checks,
# labels made safe to show (fs_text.c) and the JSON parser (fs_json.c: our
# lexer building arena documents, convertible to jansson) and channel
# grouping (fs_channel.c).  Pure logic apart from fs_definition_load() and
# fs_channel_table_load() (read one file) and fs_uuid4_random() (getrandom).
add_library(fs_event STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fs_event.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_definition.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_validate.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_channel.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_json.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_utf8.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_text.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_uuid.c)
target_include_directories(fs_event PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fs_event PUBLIC fs_options fs_core PkgConfig::JANSSON)
