# vq_git_description(OUT): `git describe --always --dirty` of the source tree, taken at configure time.
# Without a git program (a clone copied onto a machine without git) the commit is read from .git
# itself (abbreviated, no -dirty mark); without .git (a source tarball) the result is "unknown".
# CMake configures again when HEAD moves, so a build after a commit does not report the old one.
function(vq_git_description out)
    set(description "")
    find_package(Git QUIET)
    if(GIT_FOUND)
        execute_process(COMMAND "${GIT_EXECUTABLE}" describe --always --dirty
            WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
            RESULT_VARIABLE status OUTPUT_VARIABLE description ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
        if(status EQUAL 0)
            execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --path-format=absolute --git-path HEAD
                --symbolic-full-name HEAD
                WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                OUTPUT_VARIABLE paths ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
            string(REPLACE "\n" ";" paths "${paths}")
            list(GET paths 0 head)
            set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${head}")
            list(LENGTH paths count)
            if(count GREATER 1)
                list(GET paths 1 ref)
                execute_process(COMMAND "${GIT_EXECUTABLE}" rev-parse --path-format=absolute --git-path "${ref}"
                    WORKING_DIRECTORY "${PROJECT_SOURCE_DIR}"
                    OUTPUT_VARIABLE refFile ERROR_QUIET OUTPUT_STRIP_TRAILING_WHITESPACE)
                if(EXISTS "${refFile}")
                    set_property(DIRECTORY "${PROJECT_SOURCE_DIR}" APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${refFile}")
                endif()
            endif()
        else()
            set(description "")
        endif()
    endif()
    set(gitDir "${PROJECT_SOURCE_DIR}/.git")
    if(description STREQUAL "" AND IS_DIRECTORY "${gitDir}" AND EXISTS "${gitDir}/HEAD")
        file(STRINGS "${gitDir}/HEAD" head LIMIT_COUNT 1)
        set(commit "")
        if(head MATCHES "^ref: (.+)$")
            set(ref "${CMAKE_MATCH_1}")
            if(EXISTS "${gitDir}/${ref}")
                file(STRINGS "${gitDir}/${ref}" commit LIMIT_COUNT 1)
            elseif(EXISTS "${gitDir}/packed-refs")
                file(STRINGS "${gitDir}/packed-refs" line REGEX " ${ref}$" LIMIT_COUNT 1)
                string(REGEX REPLACE " .*" "" commit "${line}")
            endif()
        else()
            set(commit "${head}")
        endif()
        if(commit MATCHES "^[0-9a-f]+$")
            string(SUBSTRING "${commit}" 0 7 description)
        endif()
    endif()
    if(description STREQUAL "")
        set(description "unknown")
    endif()
    set(${out} "${description}" PARENT_SCOPE)
endfunction()
