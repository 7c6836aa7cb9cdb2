# gpt: tests/unit/gpt.sh compares JSON from blockbox and sfdisk with python3
# (gdisk, fdisk and util-linux are in the Makefile's CHECK_PKGS already).
CHECK_PKGS += python3
