# Fuzz target of the worker's person state parsers (they read Redis data).
fs_fuzz_target(fuzz_person SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_person.c LIBS fs_worker)
