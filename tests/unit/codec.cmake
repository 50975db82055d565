# Tests of the Avro codec (common/codec/: fs_schema.c and the fs_codec*.c parts).
fs_unit_test(test_schema SOURCES test_schema.c LIBS fs_codec)
fs_unit_test(test_codec SOURCES test_codec.c LIBS fs_codec)

# fs-schema-tool prints canonical forms/fingerprints for the live referees.
add_executable(fs-schema-tool fs_schema_tool.c)
target_link_libraries(fs-schema-tool PRIVATE fs_options fs_codec)

# Live referee 1: python3-avro 1.11.1 (Debian's, hence /usr/bin/python3).
add_test(NAME schema_python_referee
  COMMAND /usr/bin/python3 ${CMAKE_CURRENT_SOURCE_DIR}/check_schema_python.py
          $<TARGET_FILE:fs-schema-tool> ${PROJECT_SOURCE_DIR})
set_tests_properties(schema_python_referee PROPERTIES TIMEOUT 60)

# Live referee 2: Java's SchemaNormalization; skipped (77) without the jar.
add_test(NAME schema_java_referee
  COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/check_schema_java.sh
          $<TARGET_FILE:fs-schema-tool> ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/canonref)
set_tests_properties(schema_java_referee PROPERTIES TIMEOUT 120 SKIP_RETURN_CODE 77)

# python's avro DatumReader decodes what fs_codec writes (no broker needed).
add_executable(fs-codec-sample ${PROJECT_SOURCE_DIR}/tests/integration/fs_codec_sample.c)
target_link_libraries(fs-codec-sample PRIVATE fs_options fs_codec)
add_test(NAME codec_python_readback
  COMMAND /usr/bin/python3 ${PROJECT_SOURCE_DIR}/tests/integration/avro_readback.py
          $<TARGET_FILE:fs-codec-sample> ${PROJECT_SOURCE_DIR}
          ${CMAKE_CURRENT_BINARY_DIR}/codec_sample.bin)
set_tests_properties(codec_python_readback PROPERTIES TIMEOUT 60)
