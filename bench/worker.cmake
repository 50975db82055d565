# Worker benchmarks (bench/worker_bench runs them end to end; results in
# docs/BENCHMARKS.md).  Built only — never registered with ctest.
#   fs-bench-fill   synthetic events straight to the topic (acks=1, lz4)
#   fs-bench-naive  baseline: one synchronous HINCRBY per event
#   fs_bench_io     what they share: clock, env, Redis and Kafka set-up
add_library(fs_bench_io STATIC ${CMAKE_CURRENT_LIST_DIR}/bench_io.c)
target_include_directories(fs_bench_io PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fs_bench_io PRIVATE fs_options PUBLIC PkgConfig::RDKAFKA PkgConfig::HIREDIS)

add_executable(fs-bench-fill ${CMAKE_CURRENT_LIST_DIR}/fill_topic.c)
target_link_libraries(fs-bench-fill PRIVATE fs_options fs_bench_io fs_codec fs_core PkgConfig::RDKAFKA)

add_executable(fs-bench-naive ${CMAKE_CURRENT_LIST_DIR}/naive_worker.c)
target_link_libraries(fs-bench-naive PRIVATE fs_options fs_bench_io fs_codec fs_event fs_core
  PkgConfig::RDKAFKA PkgConfig::HIREDIS)

#   fs-bench-floor  the floor under any Redis-backed worker (bench/worker_floor)
add_executable(fs-bench-floor ${CMAKE_CURRENT_LIST_DIR}/floor_worker.c)
target_link_libraries(fs-bench-floor PRIVATE fs_options fs_bench_io fs_codec fs_event fs_core
  PkgConfig::RDKAFKA PkgConfig::HIREDIS)
