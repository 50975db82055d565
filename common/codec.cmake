# fs_codec: Avro Parsing Canonical Form + fingerprints (fs_schema.c, pure,
# jansson) and the single-object codec / schema store (fs_codec.c, avro-c).
add_library(fs_codec STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fs_schema.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_avro_bin.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_codec.c)
target_include_directories(fs_codec PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fs_codec PUBLIC fs_options fs_event fs_core fs_schemas
  PkgConfig::AVRO PkgConfig::JANSSON)
