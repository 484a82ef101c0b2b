# Compiled objects are cached with ccache under ~/.cache/parley/ccache (CCACHE_DIR overrides), so a
# second build — another clone, another worktree, or CI after a session — recompiles only what
# changed. Paths inside the repository are made relative (base_dir) and the working directory is
# left out of the hash, so identical sources hit the cache whatever folder the clone lives in.
find_program(PARLEY_CCACHE ccache)
if(PARLEY_CCACHE AND NOT CMAKE_CXX_COMPILER_LAUNCHER)
  if(DEFINED ENV{CCACHE_DIR})
    set(parley_ccache_dir $ENV{CCACHE_DIR})
  else()
    set(parley_ccache_dir $ENV{HOME}/.cache/parley/ccache)
  endif()
  set(parley_launcher ${CMAKE_COMMAND} -E env CCACHE_BASEDIR=${CMAKE_SOURCE_DIR} CCACHE_NOHASHDIR=1
      CCACHE_DIR=${parley_ccache_dir} CCACHE_MAXSIZE=8G ${PARLEY_CCACHE})
  set(CMAKE_CXX_COMPILER_LAUNCHER ${parley_launcher})
  set(CMAKE_C_COMPILER_LAUNCHER ${parley_launcher})
endif()
