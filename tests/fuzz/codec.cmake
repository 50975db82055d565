# Codec decoders (common/codec/fs_codec_decode.c, fs_codec_dead_letter.c); seeds in corpus/decode/.
fs_fuzz_target(fuzz_decode SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_decode.c LIBS fs_codec)
# fs_fuzz_target instruments only the harness; without coverage feedback
# from the library under test libFuzzer is blind (cov 15 edges).  Instrument
# the codec too (and its schema embedding) in fuzz builds.
target_compile_options(fs_codec PRIVATE -fsanitize=fuzzer-no-link)
