# Sourced by run.sh and test.sh: install what is missing, configure and build a preset.
# Idempotent and quiet when nothing is missing.

VQ_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

vq_missing_packages() {
    local pkg missing=()
    while read -r pkg; do
        [[ -z "$pkg" || "$pkg" == \#* ]] && continue
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
    done < "$VQ_ROOT/packaging/deps.txt"
    echo "${missing[@]:-}"
}

vq_install_deps() {
    local missing
    missing=$(vq_missing_packages)
    [[ -z "$missing" ]] && return 0
    echo "vqscope: installing missing Debian packages: $missing" >&2
    local sudo=()
    if [[ $(id -u) -ne 0 ]]; then
        command -v sudo >/dev/null || { echo "vqscope: need root or sudo to install: $missing" >&2; return 1; }
        sudo=(sudo)
    fi
    "${sudo[@]}" apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends $missing >/dev/null
}

# vq_build PRESET [extra cmake -D args...]
vq_build() {
    local preset=$1
    shift
    local werror=OFF
    [[ -n "${CI:-}" ]] && werror=ON
    local generator=()
    command -v ninja >/dev/null || generator=(-G "Unix Makefiles")
    (cd "$VQ_ROOT" && cmake --preset "$preset" "${generator[@]}" -DVQ_WERROR="$werror" "$@" >/dev/null) || return 1
    # The build's own status, not grep's: under pipefail a failed build fails the pipeline, and
    # PIPESTATUS is read before any other command replaces it.
    local status=0
    cmake --build "$VQ_ROOT/build/$preset" --parallel "$(nproc)" -- ${VQ_BUILD_QUIET:+--quiet} |
        grep -vE '^\[[0-9]+/[0-9]+\]' || status=${PIPESTATUS[0]}
    return "$status"
}
