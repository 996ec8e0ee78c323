#!/usr/bin/env bash
# contrib/snapkeep-verify without root: mount, umount and blkid are fake
# commands that record every call. A "device" is a file whose neighbour
# DEV.type holds what blkid reports and DEV.fs/ the files the filesystem
# holds; the fake mount copies those into the mount point, the fake umount
# empties it. Proves: the read-only options per filesystem, the partition
# choice, pass / fail / missing path / --min-files, unmount on every way
# out (a failed check, SIGTERM right after the mount, a failed unmount),
# nothing mounted for a refused filesystem or a failed mount, --root.
# shellcheck disable=SC1091  # sourced helper
. "$(dirname "$0")/../lib.sh"

V=$TOP/contrib/snapkeep-verify
F=$T_TMP/fake
LOG=$T_TMP/calls
mkdir -p "$F" "$T_TMP/tmp"

cat >"$F/mount" <<'EOF'
#!/bin/sh
# fake mount -t TYPE -o OPTS DEV DIR
echo "mount $*" >>"$FAKE_LOG"
[ -n "${FAKE_MOUNT_FAIL:-}" ] && { echo "mount: permission denied" >&2; exit 32; }
dev=$5 dir=$6
cp -R "$dev.fs/." "$dir/"
[ -n "${FAKE_MOUNT_KILL:-}" ] && kill -TERM "$PPID"
exit 0
EOF
cat >"$F/umount" <<'EOF'
#!/bin/sh
echo "umount $*" >>"$FAKE_LOG"
[ -n "${FAKE_UMOUNT_FAIL:-}" ] && { echo "umount: target is busy" >&2; exit 32; }
find "$1" -mindepth 1 -delete
EOF
cat >"$F/blkid" <<'EOF'
#!/bin/sh
# fake blkid -o value -s TYPE DEV
echo "blkid $*" >>"$FAKE_LOG"
[ -f "$5.type" ] || exit 2
cat "$5.type"
EOF
chmod +x "$F/mount" "$F/umount" "$F/blkid"

# disk NAME TYPE FILE...: a fake device with a filesystem holding FILEs
# (TYPE "-": no filesystem on the device itself).
disk() {
    local d=$T_TMP/dev/$1 t=$2 f
    shift 2
    mkdir -p "$d.fs"
    [ "$t" = - ] || printf '%s\n' "$t" >"$d.type"
    : >"$d"
    for f in "$@"; do mkdir -p "$(dirname "$d.fs/$f")"; : >"$d.fs/$f"; done
}
mkdir -p "$T_TMP/dev"
disk ext ext4 data/ok data/db/1 data/db/2
disk xfs xfs data/ok
disk whole -            # partitions only, as the Azure udev links show them
disk whole-part1 ext4 data/ok
disk odd btrfs data/ok

verify() {   # runs the script with the fakes; stdout+stderr in out/err
    : >"$LOG"
    env FAKE_LOG="$LOG" TMPDIR="$T_TMP/tmp" SNAPKEEP_VERIFY_MOUNT_CMD="$F/mount" \
        SNAPKEEP_VERIFY_UMOUNT_CMD="$F/umount" SNAPKEEP_VERIFY_BLKID_CMD="$F/blkid" \
        "$@"
}
mounts()   { grep -c '^mount ' "$LOG"; }
umounts()  { grep -c '^umount ' "$LOG"; }
# the mount point, as the script passed it to mount
mnt_of()   { awk '/^mount /{ print $NF }' "$LOG"; }
no_temp()  { [ -z "$(ls -A "$T_TMP/tmp")" ]; }

# pass: ext4 is mounted ro,noload on a private temporary directory
t_exit "verify: an ext4 disk with its path passes" 0 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/ok --path /data/db/1
t_check "verify: ext4 mounted -t ext4 -o ro,noload,nodev,nosuid,noexec" \
    grep -qx "mount -t ext4 -o ro,noload,nodev,nosuid,noexec $T_TMP/dev/ext $T_TMP/tmp/snapkeep-verify\.[A-Za-z0-9]*" "$LOG"
t_check "verify: unmounted the same directory once" \
    test "$(umounts)" = 1 -a "$(grep '^umount ' "$LOG" | cut -d' ' -f2)" = "$(mnt_of)"
t_check "verify: printed each path it checked" \
    bash -c 'grep -q "ok: path data/ok exists" "$1" && grep -q "ok: path data/db/1 exists" "$1"' _ "$T_TMP/out"
t_check "verify: temporary directory and path list removed" no_temp

t_exit "verify: xfs passes" 0 verify SNAPKEEP_DEVICE="$T_TMP/dev/xfs" "$V" --path data/ok
t_check "verify: xfs mounted -o ro,norecovery" \
    grep -q "^mount -t xfs -o ro,norecovery,nodev,nosuid,noexec " "$LOG"

# missing path: exit 1, the path named, still unmounted
t_exit "verify: a missing path fails with 1" 1 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/ok --path data/gone
t_check "verify: names the missing path" grep -q "FAIL: path data/gone is missing" "$T_TMP/out"
t_check "verify: unmounted after the failed check" test "$(umounts)" = 1
t_check "verify: nothing left behind after a failure" no_temp

# --min-files
t_exit "verify: --min-files 3 passes with 3 files" 0 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --min-files 3
t_exit "verify: --min-files 4 fails with 3 files" 1 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --min-files 4
t_check "verify: says how many it found" grep -q "FAIL: 3 regular files, fewer than --min-files 4" "$T_TMP/out"
t_check "verify: unmounted after --min-files failed" test "$(umounts)" = 1

# a whole disk without a filesystem: its first partition, said so
t_exit "verify: a partitioned disk uses DEV-part1" 0 \
    verify "$V" --device "$T_TMP/dev/whole" --path data/ok
t_check "verify: mounted DEV-part1" grep -q "^mount -t ext4 .* $T_TMP/dev/whole-part1 " "$LOG"
t_check "verify: said it used partition 1" grep -q "using its partition 1" "$T_TMP/out"
t_exit "verify: --partition 2 that does not exist is refused" 2 \
    verify "$V" --device "$T_TMP/dev/whole" --partition 2 --path data/ok
t_check "verify: nothing mounted for a missing partition" test "$(mounts)" = 0

# refused before any mount
t_exit "verify: btrfs is refused (no journal-free read-only mount known)" 2 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/odd" "$V" --path data/ok
t_check "verify: nothing mounted for btrfs" test "$(mounts)" = 0
t_check "verify: the refusal names the type" grep -q "filesystem btrfs .* not supported" "$T_TMP/err"
t_exit "verify: no device is a usage error" 2 verify "$V" --path data/ok
t_exit "verify: '..' in a path is refused" 2 \
    verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/../../etc/passwd
t_check "verify: nothing mounted for a '..' path" test "$(mounts)" = 0
t_check "verify: nothing left behind after a refusal" no_temp

# a mount that fails: exit 2, no unmount of what was never mounted
t_exit "verify: a failed mount exits 2" 2 \
    verify FAKE_MOUNT_FAIL=1 SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/ok
t_check "verify: the failed mount is not counted as a pass" grep -q "failed" "$T_TMP/err"
t_check "verify: mount point removed after a failed mount" no_temp

# SIGTERM just after the mount returned: still unmounted, exit 143
t_exit "verify: SIGTERM after mounting exits 143" 143 \
    verify FAKE_MOUNT_KILL=1 SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/ok
t_check "verify: unmounted after SIGTERM" test "$(umounts)" = 1
t_check "verify: no check ran after SIGTERM" bash -c '! grep -q "ok: path" "$1"' _ "$T_TMP/out"
t_check "verify: nothing left behind after SIGTERM" no_temp

# an unmount that fails: exit 3 even though the checks passed, the mount
# point kept (something is still mounted on it)
t_exit "verify: a failed unmount exits 3" 3 \
    verify FAKE_UMOUNT_FAIL=1 SNAPKEEP_DEVICE="$T_TMP/dev/ext" "$V" --path data/ok
t_check "verify: says the disk is still mounted" grep -q "could not unmount" "$T_TMP/err"
t_check "verify: keeps the mount point that is still in use" test -d "$(mnt_of)"
rm -rf "${T_TMP:?}/tmp/"*

# --root: no mount, paths under DIR
t_exit "verify: --root passes with the path present" 0 \
    verify "$V" --root "$T_TMP/dev/ext.fs" --path data/db/2
t_check "verify: --root ran no mount, umount or blkid" test ! -s "$LOG"
t_exit "verify: --root fails with the path missing" 1 \
    verify "$V" --root "$T_TMP/dev/ext.fs" --path data/db/3

# the script is POSIX sh: the same pass under dash, where available
if command -v dash >/dev/null; then
    t_exit "verify: runs under dash" 0 \
        verify SNAPKEEP_DEVICE="$T_TMP/dev/ext" dash "$V" --path data/ok
    t_check "verify: dash also unmounted" test "$(umounts)" = 1
fi
# POSIX sh, warning-clean (the house standard for scripts); not reported
# at all where shellcheck is missing
if command -v shellcheck >/dev/null; then
    t_check "verify: shellcheck -s sh -S warning clean" shellcheck -s sh -S warning "$V"
fi
t_done
