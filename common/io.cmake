# fs_io: thin wrappers around the I/O dependencies (Kafka, Redis,
# libmicrohttpd) and the version banner every program prints.  No business logic lives here.
add_library(fs_io STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fs_version.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_program.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_kafka.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_producer.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_redis.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_httpd.c)
target_include_directories(fs_io PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_compile_definitions(fs_io PRIVATE FS_AVRO_VERSION="${AVRO_VERSION}"
  FS_MHD_VERSION="${MHD_VERSION}")
target_link_libraries(fs_io PUBLIC fs_core PkgConfig::RDKAFKA PkgConfig::HIREDIS
  PkgConfig::JANSSON PkgConfig::MHD)
