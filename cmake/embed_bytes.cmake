# embed_bytes.cmake — what the build-time embedding scripts share
# (schemas/embed.cmake, producers/collector/web/embed.cmake,
# query/web/embed.cmake): a file turned into the text of a C byte array,
# and a generated file written only when its text changed, so that what
# depends on it is not rebuilt for nothing.  For `cmake -P` scripts:
#   include(${CMAKE_CURRENT_LIST_DIR}/<relative path>/cmake/embed_bytes.cmake)

# fs_embed_bytes(PATH BYTES_VAR LEN_VAR INDENT): BYTES_VAR = "0x..,0x..,"
# (16 a line, each new line starting with INDENT), LEN_VAR = the size.
function(fs_embed_bytes path bytes_var len_var indent)
  file(READ "${path}" hex HEX)
  string(LENGTH "${hex}" hexlen)
  math(EXPR len "${hexlen} / 2")
  string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," bytes "${hex}")
  string(REGEX REPLACE "((0x..,){16})" "\\1\n${indent}" bytes "${bytes}")
  set(${bytes_var} "${bytes}" PARENT_SCOPE)
  set(${len_var} "${len}" PARENT_SCOPE)
endfunction()

# fs_write_if_changed(OUT BODY)
function(fs_write_if_changed out body)
  set(old "")
  if(EXISTS "${out}")
    file(READ "${out}" old)
  endif()
  if(NOT "${old}" STREQUAL "${body}")
    file(WRITE "${out}" "${body}")
  endif()
endfunction()
