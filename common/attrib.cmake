# fs_attrib — attribution math of docs/attribution.md steps 1–3 (touch selection,
# model weights, integer credits).  Pure: no I/O, no clock, no allocation.
add_library(fs_attrib STATIC ${CMAKE_CURRENT_LIST_DIR}/fs_attrib.c)
target_include_directories(fs_attrib PUBLIC ${CMAKE_CURRENT_LIST_DIR})
target_link_libraries(fs_attrib PUBLIC fs_options fs_core m)
