# Collector benchmarks (bench/collector_bench runs them end to end; results in
# docs/BENCHMARKS.md, "Collector").  Built only — never registered with ctest.
#   fs-bench-encode    request bodies + the same events Avro-encoded for kcat -P
#   fs-bench-load-gen  open-/closed-loop HTTP/1.1 keep-alive load generator
#   bench_intake       the request path without the network (see below)
add_executable(fs-bench-encode ${CMAKE_CURRENT_LIST_DIR}/encode_events.c)
target_link_libraries(fs-bench-encode PRIVATE fs_options fs_codec fs_event fs_core
  PkgConfig::JANSSON)

add_executable(fs-bench-load-gen ${CMAKE_CURRENT_LIST_DIR}/load_gen/load_gen.c)
target_link_libraries(fs-bench-load-gen PRIVATE fs_options)

# bench_intake: the collector's request path without the network (intake,
# validation, encoding) against jansson parsing the same body.
add_executable(bench_intake ${CMAKE_CURRENT_LIST_DIR}/bench_intake.c)
target_link_libraries(bench_intake PRIVATE fs_options fs_collector PkgConfig::YAJL)
fs_link_allocator(bench_intake mimalloc)
# bench_segment: the Segment API's request path ÷ POST /v1/events', no network.
add_executable(bench_segment ${CMAKE_CURRENT_LIST_DIR}/bench_segment.c)
target_link_libraries(bench_segment PRIVATE fs_options fs_collector)
fs_link_allocator(bench_segment mimalloc)
