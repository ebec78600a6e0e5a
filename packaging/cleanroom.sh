#!/usr/bin/env bash
# Proves the README on machines that never saw the project. As root:
#
#   ./packaging/cleanroom.sh [--out DIR]
#
# 1. The build room: a minimal Debian 12 root (debootstrap --variant=minbase, the host's Debian mirror)
#    holding a clean clone of the committed HEAD and nothing else. Inside it, the README's commands as
#    written: ./packaging/test.sh (release preset only: VQ_PRESETS=release), ./packaging/run.sh under
#    xvfb-run taking a screenshot of the window on the bundled sample, then ./packaging/deb.sh, with
#    lintian and appstreamcli checking the package.
# 2. The install room: a second fresh minimal root with no build packages. `apt-get install
#    ./vqscope_*.deb`, then vqscope-cli --version, vqscope-cli inspect on the installed sample, and
#    vqscope under xvfb-run taking a screenshot.
# Both screenshots must be PNGs of the window with content (packaging/pngcheck.py). --out DIR keeps
# the .deb, the screenshots and the lintian report. Both roots live in one temporary folder (under
# $TMPDIR, else /var/tmp) that is unmounted and removed on success, failure and Ctrl-C; nothing on the
# host outside it is written. Needs debootstrap, git and chroot on the host, and network access to the
# mirror (VQ_CLEANROOM_MIRROR overrides it).
set -euo pipefail

readonly SUITE=bookworm
readonly SCREEN="-screen 0 1280x800x24"
src=$(cd "$(dirname "$0")/.." && pwd)
out=""

die() {
    echo "cleanroom: $*" >&2
    exit 1
}
say() { printf '== cleanroom %d:%02d: %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

while [[ $# -gt 0 ]]; do
    case "$1" in
    --out)
        [[ $# -ge 2 ]] || die "--out needs a folder"
        out=$2
        shift 2
        ;;
    -h | --help)
        sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'
        exit 0
        ;;
    *) die "unknown argument '$1' (see --help)" ;;
    esac
done

[[ $(id -u) -eq 0 ]] || die "must run as root (debootstrap, chroot and mounts need it)"
for tool in debootstrap git chroot mount umount findmnt; do
    command -v "$tool" >/dev/null || die "'$tool' is not installed on this host"
done
git -C "$src" rev-parse --verify -q HEAD >/dev/null || die "$src is not a git checkout with a commit"
if [[ -n "$out" ]]; then
    mkdir -p "$out"
    out=$(cd "$out" && pwd)
fi

# The host's Debian mirror: the first deb822 stanza or sources.list line serving the plain suite
# (not -security or -updates); deb.debian.org when there is none.
host_mirror() {
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [[ -r "$f" ]] || continue
        awk -v suite="$SUITE" '
            function flush() { if (deb && hit && uri != "") { print uri; found = 1; exit } deb = hit = 0; uri = "" }
            /^[ \t]*$/ { flush(); next }
            /^Types:/ { for (i = 2; i <= NF; ++i) if ($i == "deb") deb = 1 }
            /^URIs:/ { uri = $2 }
            /^Suites:/ { for (i = 2; i <= NF; ++i) if ($i == suite || $i == "stable") hit = 1 }
            END { if (!found) flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [[ -r "$f" ]] || continue
        sed -E 's/\[[^]]*\]//' "$f" | awk -v suite="$SUITE" '$1 == "deb" && ($3 == suite || $3 == "stable") { print $2 }'
    done
    echo "http://deb.debian.org/debian"
}
mirrors=$(host_mirror)
mirror=${VQ_CLEANROOM_MIRROR:-${mirrors%%$'\n'*}}

work=$(mktemp -d "${TMPDIR:-/var/tmp}/vqscope-cleanroom.XXXXXX")
# The script's own stderr, kept on fd 9: a signal can run the trap inside a command whose output goes to
# a log in the temporary folder, and the verdict must still reach the caller.
exec 9>&2
child=""

# The mounts below the temporary folder, deepest first (the folder itself last).
mounts_below() {
    findmnt -rn -o TARGET | awk -v w="$work" '$0 == w || index($0, w "/") == 1' | sort -r
}

# Kills what still runs inside the temporary folder (Xvfb started by xvfb-run, a build cut short),
# unmounts everything mounted below it, deepest first, and removes it without crossing into another
# file system. Runs on every exit.
cleanup() {
    local status=$?
    trap - EXIT INT TERM HUP
    set +e
    exec >&9 2>&9
    if [[ -n "$child" ]]; then
        kill -TERM -- "-$child" 2>/dev/null
        sleep 1
        kill -KILL -- "-$child" 2>/dev/null
    fi
    local pid root
    for pid in /proc/[0-9]*; do
        root=$(readlink "$pid/root" 2>/dev/null) || continue
        [[ "$root" == "$work" || "$root" == "$work"/* ]] && kill -KILL "${pid#/proc/}" 2>/dev/null
    done
    local target
    for _ in 1 2 3; do
        mounts_below | while read -r target; do umount "$target" 2>/dev/null; done
        [[ -z "$(mounts_below)" ]] && break
        sleep 1
    done
    # Last resort: detach what is still busy.
    mounts_below | while read -r target; do umount -R -l "$target" 2>/dev/null; done
    if [[ -n "$(mounts_below)" ]]; then
        echo "cleanroom: mounts remain below $work; not removing it:" >&2
        mounts_below >&2
        status=1
    else
        rm -rf --one-file-system "$work"
    fi
    [[ $status -eq 0 ]] && say "passed" || echo "cleanroom: FAILED (status $status)" >&2
    exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP
# A private mount over the folder: nothing mounted inside the roots propagates to the host.
mount --bind "$work" "$work"
mount --make-private "$work"

# Runs a command in its own process group and waits for it, so that a signal to this script runs the
# trap at once (bash defers traps while a foreground child runs) and the trap can stop the whole group.
run() {
    setsid --wait "$@" &
    child=$!
    wait "$child"
    local status=$?
    child=""
    return "$status"
}

# make_root DIR: a fresh minimal Debian 12 root with /proc, /sys, /dev mounted and the host's DNS.
make_root() {
    local root=$1
    say "debootstrap $SUITE (minbase) from $mirror into $root"
    mkdir -p "$root" "$work/debs"
    run debootstrap --variant=minbase --cache-dir="$work/debs" "$SUITE" "$root" "$mirror" >"$root.debootstrap.log" 2>&1 \
        || { tail -n 30 "$root.debootstrap.log" >&2; die "debootstrap failed (log above)"; }
    mount -t proc proc "$root/proc"
    mount -t sysfs sysfs "$root/sys"
    # Private binds: what is mounted below them must not reach the host's /dev.
    mount --bind /dev "$root/dev"
    mount --make-private "$root/dev"
    mount --bind /dev/pts "$root/dev/pts"
    mount --make-private "$root/dev/pts"
    mount -t tmpfs -o mode=1777 tmpfs "$root/dev/shm"
    cp -L /etc/resolv.conf "$root/etc/resolv.conf"
    # Package scripts must not start services inside the room.
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
    chmod 755 "$root/usr/sbin/policy-rc.d"
}

# in_root DIR COMMAND: runs a shell command inside the root as root, with a clean environment.
in_root() {
    local root=$1
    shift
    run chroot "$root" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb DEBIAN_FRONTEND=noninteractive \
        PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin ${CI:+CI=$CI} /bin/bash -euo pipefail -c "$1"
}

started=$SECONDS
build=$work/build-room
make_root "$build"

commit=$(git -C "$src" rev-parse HEAD)
say "clean clone of $commit"
git clone --quiet --no-local --no-checkout "$src" "$build/root/vqscope"
git -C "$build/root/vqscope" checkout --quiet --detach "$commit"

say "build room: ./packaging/test.sh (release preset)"
in_root "$build" "cd /root/vqscope && VQ_PRESETS=release ./packaging/test.sh"

say "build room: ./packaging/run.sh under xvfb-run, screenshot of the bundled sample"
in_root "$build" "cd /root/vqscope && xvfb-run -a -s '$SCREEN' ./packaging/run.sh --screenshot /tmp/run.png --quit"

say "build room: ./packaging/deb.sh, checked by lintian and appstreamcli"
in_root "$build" "apt-get install -y -qq --no-install-recommends lintian appstream desktop-file-utils >/dev/null"
in_root "$build" "cd /root/vqscope && ./packaging/deb.sh 2>&1 | tee /tmp/deb.log"
deb=$(find "$build/root/vqscope/build/deb" -maxdepth 1 -name 'vqscope_*_*.deb' | head -n 1)
[[ -n "$deb" ]] || die "deb.sh wrote no vqscope_*.deb"

install=$work/install-room
make_root "$install"
cp "$deb" "$install/tmp/"
say "install room: apt-get install ./$(basename "$deb")"
in_root "$install" "apt-get update -qq && cd /tmp && apt-get install -y -qq ./$(basename "$deb") >/dev/null"
in_root "$install" "apt-get install -y -qq --no-install-recommends xvfb xauth >/dev/null"
say "install room: vqscope-cli --version, vqscope-cli inspect, vqscope --screenshot"
in_root "$install" "vqscope-cli --version && vqscope --version && vqscope --help >/dev/null"
in_root "$install" "vqscope-cli inspect /usr/share/vqscope/sample/glove-20k.npy"
in_root "$install" "xvfb-run -a -s '$SCREEN' vqscope /usr/share/vqscope/sample/glove-20k.npy --screenshot /tmp/installed.png --quit"

# What the desktop sees: the entry, the icon, the metainfo, and the MIME types once the triggers ran.
in_root "$install" "test -f /usr/share/applications/org.vqscope.vqscope.desktop \
    && test -f /usr/share/icons/hicolor/48x48/apps/vqscope.png \
    && test -f /usr/share/metainfo/org.vqscope.vqscope.metainfo.xml \
    && if test -f /usr/share/mime/globs2; then grep -q 'application/x-vqscope-session:\\*\\.vqproj' /usr/share/mime/globs2 \
        && grep -q 'application/x-vqscope-artifact:\\*\\.vq\\.h5' /usr/share/mime/globs2 && echo 'MIME types registered'; fi"

# The build room has python3 (deps.txt); check both screenshots there.
cp "$install/tmp/installed.png" "$build/tmp/installed.png"
in_root "$build" "python3 /root/vqscope/packaging/pngcheck.py /tmp/run.png /tmp/installed.png"

if [[ -n "$out" ]]; then
    cp "$deb" "$build/tmp/run.png" "$build/tmp/installed.png" "$build/tmp/deb.log" "$out/"
    say "kept $(basename "$deb"), run.png, installed.png and deb.log (lintian's report) in $out"
fi
say "done in $(((SECONDS - started) / 60)) min $(((SECONDS - started) % 60)) s"
