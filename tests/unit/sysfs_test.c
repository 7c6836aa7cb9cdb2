/* Block device discovery on a fake /sys + /proc tree, with the names that
 * trip up parsers that guess from names: nvme0n1p1, mmcblk0p1, md127,
 * dm-0, sdp (a disk whose name contains "p"), loop0. */
#include "error.h"
#include "mount.h"
#include "sysfs.h"
#include "fakesys.h"
#include "test.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#define NVME "pci0000:00/0000:00:04.0/nvme/nvme0"
#define VIRTIO "pci0000:00/0000:00:05.0/virtio2/block"
#define MMC "platform/soc/mmc_host/mmc0/mmc0:0001/block"
#define ATA "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block"
#define VIRT "virtual/block"

static void build_tree(void)
{
	fakesys_init();
	fakesys_disk(NVME, "nvme0n1", "259:0\n", "2097152\n");
	fakesys_part(NVME, "nvme0n1", "nvme0n1p1", 1, "259:1\n");
	fakesys_part(NVME, "nvme0n1", "nvme0n1p2", 2, "259:2\n");
	fakesys_file("sys/devices/" NVME "/model", "QEMU NVMe Ctrl                          \n");
	fakesys_file("sys/devices/" NVME "/serial", "deadbeef  \n");
	fakesys_file("sys/devices/" NVME "/nvme0n1/wwid", "eui.0011223344556677\n");
	fakesys_link("../../nvme0", "sys/devices/" NVME "/nvme0n1/device");

	fakesys_disk(VIRTIO, "vda", "254:0\n", "4194304\n");
	fakesys_part(VIRTIO, "vda", "vda1", 1, "254:1\n");
	fakesys_file("sys/devices/" VIRTIO "/vda/serial", "disk-a\n");
	fakesys_link("../../../virtio2", "sys/devices/" VIRTIO "/vda/device");

	fakesys_disk(MMC, "mmcblk0", "179:0\n", "1000000\n");
	fakesys_part(MMC, "mmcblk0", "mmcblk0p1", 1, "179:1\n");
	fakesys_file("sys/devices/" MMC "/mmcblk0/removable", "1\n");
	fakesys_file("sys/devices/platform/soc/mmc_host/mmc0/mmc0:0001/name", "SD32G\n");
	fakesys_link("../../../mmc0:0001", "sys/devices/" MMC "/mmcblk0/device");

	fakesys_disk(ATA, "sdp", "8:240\n", "3907029168\n");
	fakesys_file("sys/devices/" ATA "/sdp/queue/rotational", "1\n");
	fakesys_file("sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/model",
	     "WDC WD20EFRX-68E\n");
	fakesys_file("sys/devices/pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/wwid",
	     "naa.50014ee2b5a6c7d8\n");
	fakesys_link("../../../0:0:0:0", "sys/devices/" ATA "/sdp/device");
	fakesys_link("../../md127", "sys/devices/" ATA "/sdp/holders/md127");

	fakesys_disk(VIRT, "md127", "9:127\n", "3906766848\n");
	fakesys_disk(VIRT, "dm-0", "253:0\n", "409600\n");
	fakesys_file("sys/devices/" VIRT "/dm-0/dm/name", "vg0-root\n");
	fakesys_link("../../dm-0", "sys/devices/" VIRT "/md127/holders/dm-0");
	fakesys_disk(VIRT, "loop0", "7:0\n", "0\n");

	fakesys_file("proc/self/mountinfo",
	     "22 1 0:21 / /proc rw - proc proc rw\n"
	     "30 1 253:0 / / rw,relatime - ext4 /dev/mapper/vg0-root rw\n"
	     "31 30 254:1 / /mnt/my\\040disk rw - vfat /dev/vda1 rw\n"
	     "32 30 254:1 / /mnt/again rw - vfat /dev/vda1 rw\n"
	     /* btrfs: an anonymous device number; the source names the device */
	     "33 30 0:45 /@home /home rw - btrfs /dev/loop0 rw,space_cache=v2\n"
	     "34 30 0:46 / /tmp rw - tmpfs tmpfs rw\n");
	fakesys_file("proc/swaps", "Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n"
			   "/dev/nvme0n1p2                          partition\t1048572\t0\t-2\n");
}

static struct blkdev *get(struct blkdev_list *l, const char *name)
{
	struct blkdev *d = blkdev_find(l, name);
	if (!d)
		test_fail(__FILE__, __LINE__, "device %s not found", name);
	return d;
}

TEST(sysfs_names_that_look_like_partitions)
{
	build_tree();
	char sys[4200], proc[4200];
	snprintf(sys, sizeof(sys), "%s/sys", fakesys_root);
	snprintf(proc, sizeof(proc), "%s/proc", fakesys_root);
	struct sysroot r = { sys, proc, "/dev" };
	struct blkdev_list l;
	CHECK_EQ(blkdev_scan(&r, &l, NULL), 0);
	CHECK_EQ(l.n, 11);

	struct blkdev *d = get(&l, "nvme0n1");
	CHECK_EQ(d->partno, 0);
	CHECK_EQ(d->nparts, 2);
	CHECK_STR(d->transport, "nvme");
	CHECK_STR(d->model, "QEMU NVMe Ctrl");
	CHECK_STR(d->serial, "deadbeef");
	CHECK_STR(d->wwn, "eui.0011223344556677");
	CHECK_EQ(d->size, 2097152ull * 512);
	CHECK_EQ(d->lsec, 512);
	CHECK_EQ(d->psec, 4096);
	d = get(&l, "/dev/nvme0n1p1");
	CHECK_EQ(d->partno, 1);
	CHECK_STR(d->parent, "nvme0n1");
	CHECK_STR(d->transport, "nvme");
	CHECK_EQ(d->major, 259);
	CHECK_EQ(d->minor, 1);
	CHECK(get(&l, "nvme0n1p2")->swap);

	d = get(&l, "mmcblk0");
	CHECK_EQ(d->partno, 0);
	CHECK(d->removable);
	CHECK_STR(d->transport, "mmc");
	CHECK_STR(d->model, "SD32G");
	CHECK_STR(get(&l, "mmcblk0p1")->parent, "mmcblk0");

	d = get(&l, "sdp");
	CHECK_EQ(d->partno, 0);
	CHECK_STR(d->parent, "");
	CHECK(d->rotational);
	CHECK_STR(d->transport, "sata");
	CHECK_STR(d->model, "WDC WD20EFRX-68E");
	CHECK_STR(d->wwn, "naa.50014ee2b5a6c7d8");
	CHECK_EQ(d->nholders, 1);
	CHECK_STR(d->holders[0], "md127");

	d = get(&l, "md127");
	CHECK_EQ(d->partno, 0);
	CHECK_STR(d->transport, "md");
	CHECK_STR(d->holders[0], "dm-0");
	d = get(&l, "dm-0");
	CHECK_STR(d->transport, "dm");
	CHECK_STR(d->dm_name, "vg0-root");
	CHECK_EQ(d->nmounts, 1);
	CHECK_STR(d->mountpoint, "/");
	d = get(&l, "loop0");
	CHECK_STR(d->transport, "loop");
	CHECK_EQ(d->nmounts, 1);
	CHECK_STR(d->mountpoint, "/home");

	d = get(&l, "vda");
	CHECK_STR(d->transport, "virtio");
	CHECK_STR(d->serial, "disk-a");
	d = get(&l, "vda1");
	CHECK_EQ(d->nmounts, 2);
	CHECK_STR(d->mountpoint, "/mnt/my disk");
	blkdev_list_free(&l);
}

TEST(sysfs_missing_root_is_an_error)
{
	struct sysroot r = { "/nonexistent/sys", "/nonexistent/proc", "/dev" };
	struct blkdev_list l;
	struct bb_error e;
	CHECK_EQ(blkdev_scan(&r, &l, &e), -1);
	CHECK_EQ(e.code, ENOENT);
	char want[200];
	snprintf(want, sizeof(want), "/nonexistent/sys/class/block: %s", strerror(ENOENT));
	CHECK_STR(e.msg, want);
}

TEST(sysfs_mount_unescape)
{
	char s[] = "/mnt/my\\040disk\\011tab\\134back\\0x\\999";
	mount_unescape(s);
	CHECK_STR(s, "/mnt/my disk\ttab\\back\\0x\\999");
}
