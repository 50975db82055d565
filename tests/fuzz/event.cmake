# Fuzz targets of fs_event, common/event/ (seed corpora in corpus/validate, corpus/definition).
fs_fuzz_target(fuzz_validate SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_validate.c LIBS fs_event fs_codec)
fs_fuzz_target(fuzz_definition SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_definition.c LIBS fs_event)
# fs_json_parse against jansson's parser (seed corpus in corpus/json).
fs_fuzz_target(fuzz_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_json.c LIBS fs_event)
