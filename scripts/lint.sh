#!/bin/bash
# Style and static analysis, as CI runs them before the test tiers:
#   format  clang-format --dry-run --Werror on every C and C++ file (.clang-format)
#   tidy    clang-tidy on src/ and hooks/ (.clang-tidy), through run-clang-tidy
#   shell   shellcheck on every shell script (*.sh, a sh/bash shebang, or a
#           "# shellcheck shell=" directive near the top)
# Prints what each check found and a summary; exits 1 if any check found
# something.  Needs clang-format, clang-tidy, clang and shellcheck
# (scripts/install-deps.sh lint).
#   scripts/lint.sh                 all three
#   scripts/lint.sh format shell    only the named checks
# LINT_BUILD_DIR (default build-lint) is where CMake writes the
# compile_commands.json clang-tidy reads; the build itself is not run.
set -euo pipefail

cd "$(dirname "$0")/.."
root=$PWD
# $root as a regular expression, for clang-tidy's file and header filters.
root_re=$(printf '%s' "$root" | sed 's/[][\\.^$*+?(){}|]/\\&/g')
build=${LINT_BUILD_DIR:-build-lint}
jobs=$(nproc)

checks=("$@")
[ ${#checks[@]} -gt 0 ] || checks=(format tidy shell)
for c in "${checks[@]}"; do
    case $c in
    format | tidy | shell) ;;
    *)
        echo "lint.sh: unknown check '$c' (expected format, tidy or shell)" >&2
        exit 2
        ;;
    esac
done

# The project's files, NUL-separated: tracked files in a git checkout,
# otherwise everything outside build directories.
project_files() {
    if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
        git ls-files -z
    else
        find . \( -name .git -o -name 'build*' -o -name '_build*' \) -prune -o \
            -type f -printf '%P\0'
    fi
}

is_shell_script() { # FILE
    case $1 in
    *.sh) return 0 ;;
    esac
    local head
    head=$(head -n 5 "$1" 2>/dev/null | tr -d '\0') || return 1
    [[ $head =~ ^\#!\ *(/usr)?/bin/(env\ +)?(ba|da)?sh([[:space:]]|$) ]] ||
        [[ $head =~ (^|$'\n')\#\ shellcheck\ shell= ]]
}

declare -A result seconds

run_format() {
    local files=() f bad=0
    while IFS= read -r -d '' f; do
        case $f in
        *.c | *.h | *.cpp | *.hpp | *.cc | *.cxx) files+=("$f") ;;
        esac
    done < <(project_files)
    for f in "${files[@]}"; do
        if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
            echo "  $f (fix: clang-format -i $f)"
            bad=$((bad + 1))
        fi
    done
    result[format]="$bad of ${#files[@]} files not formatted"
    [ "$bad" -eq 0 ]
}

run_tidy() {
    local tidy_runner out findings n
    tidy_runner=$(command -v run-clang-tidy || command -v run-clang-tidy-14) || {
        echo "  run-clang-tidy not found (package clang-tidy)"
        result[tidy]="not run"
        return 1
    }
    # A clang-configured tree: clang-tidy understands every flag in it.
    mkdir -p "$build"
    if ! CC=clang CXX=clang++ cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=Debug \
        -DMDEVMC_BUILD_TESTS=OFF >"$build/configure.log" 2>&1; then
        cat "$build/configure.log"
        result[tidy]="cmake configure failed"
        return 1
    fi
    out="$build/clang-tidy.log"
    findings="$build/clang-tidy-findings.txt"
    local rc=0
    "$tidy_runner" -p "$build" -j "$jobs" -quiet \
        -header-filter="^$root_re/(src|hooks)/" \
        "^$root_re/(src|hooks)/.*\\.cpp\$" >"$out" 2>&1 || rc=$?
    # One line per finding (a header's findings repeat for each includer).
    sed 's/\x1b\[[0-9;]*m//g' "$out" |
        grep -E '^/.*:[0-9]+:[0-9]+: (warning|error): .*\[[a-z].*\]$' |
        sed "s|^$root/||" | sort -u >"$findings" || true
    n=$(wc -l <"$findings")
    sed 's/^/  /' "$findings"
    if [ "$rc" -ne 0 ] && [ "$n" -eq 0 ]; then
        # clang-tidy failed without a finding: a compile error, say.
        sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -E 'error' | sed 's/^/  /' | head -50
        result[tidy]="clang-tidy failed (log: $out)"
        return 1
    fi
    result[tidy]="$n findings (list: $findings)"
    [ "$n" -eq 0 ] && [ "$rc" -eq 0 ]
}

run_shell() {
    local files=() f bad
    while IFS= read -r -d '' f; do
        [ -f "$f" ] && is_shell_script "$f" && files+=("$f")
    done < <(project_files)
    # -x follows sourced files; the scripts name them with source= directives.
    if shellcheck -x "${files[@]}"; then
        result[shell]="${#files[@]} scripts clean"
        return 0
    fi
    bad=$(shellcheck -x -f gcc "${files[@]}" | cut -d: -f1 | sort -u | wc -l) || true
    result[shell]="findings in $bad of ${#files[@]} scripts"
    return 1
}

# Formatting and findings differ between versions: say which ran (CI: Debian 12).
for tool in clang-format clang-tidy shellcheck; do
    printf '%s: %s\n' "$tool" "$("$tool" --version 2>/dev/null | grep -m1 -io 'version[: ]*[0-9][0-9.]*' || echo missing)"
done

failed=()
for c in "${checks[@]}"; do
    echo "== lint: $c"
    start=$SECONDS
    if "run_$c"; then
        status=ok
    else
        status=FAILED
        failed+=("$c")
    fi
    seconds[$c]=$((SECONDS - start))
    result[$c]="$status: ${result[$c]:-}"
done

echo "== lint summary"
for c in "${checks[@]}"; do
    printf '  %-7s %s (%ss)\n' "$c" "${result[$c]}" "${seconds[$c]}"
done
if [ ${#failed[@]} -gt 0 ]; then
    echo "lint.sh: failed: ${failed[*]}" >&2
    exit 1
fi
