# bench_codec: fs_codec encode/decode vs a bare avro-c value-API loop.
add_executable(bench_codec ${CMAKE_CURRENT_SOURCE_DIR}/bench_codec.c)
target_link_libraries(bench_codec PRIVATE fs_options fs_codec)

# bench_validate: docs/event.md validation vs jansson parsing the same text.
add_executable(bench_validate ${CMAKE_CURRENT_SOURCE_DIR}/bench_validate.c)
target_link_libraries(bench_validate PRIVATE fs_options fs_event)
