# mkfs.vfat and mkswap: tests/unit/mkfs-vfat.sh and mkswap.sh compare with
# dosfstools' mkfs.fat and fsck.fat, util-linux's mkswap, blkid and
# swaplabel (python3 reads the boot sectors' fields).
CHECK_PKGS += dosfstools python3
