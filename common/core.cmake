add_library(fs_core STATIC
  ${CMAKE_CURRENT_LIST_DIR}/fs_err.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_buf.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_log.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_url.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_day.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_strmap.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_str.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_conf.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_prom.c
  ${CMAKE_CURRENT_LIST_DIR}/fs_signal.c)
target_include_directories(fs_core PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fs_core PUBLIC fs_options Threads::Threads m)
