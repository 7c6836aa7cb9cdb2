/* The claim check on a fake /sys, /proc and /dev: each way a device can be
 * in use, with the reason it gives, and "busy" whenever something could
 * not be read. Device nodes are regular files here, so the O_EXCL part is
 * proven in the VM (tests/vm/26-claim.sh). */
#include "claim.h"
#include "error.h"
#include "fakesys.h"
#include "test.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#define VIRTIO "pci0000:00/0000:00:05.0/virtio2/block"
#define ATA "pci0000:00/0000:00:1f.2/ata1/host0/target0:0:0/0:0:0:0/block"
#define VIRT "virtual/block"

static char sys_[4200], proc_[4200], dev_[4200];
static struct sysroot root_;

/* root/dev/NAME: a 1 MiB file of zeros standing in for the node. */
static void node(const char *name)
{
	char path[4300];
	snprintf(path, sizeof(path), "%s/dev/%s", fakesys_root, name);
	int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC, 0600);
	if (fd < 0 || ftruncate(fd, 1 << 20))
		test_fail(__FILE__, __LINE__, "%s: %s", path, strerror(errno));
	close(fd);
}

static void vdisk(const char *name, const char *devt)
{
	fakesys_disk(VIRTIO, name, devt, "2048\n");
	node(name);
}

static void vpart(const char *disk, const char *name, int no, const char *devt)
{
	fakesys_part(VIRTIO, disk, name, no, devt);
	node(name);
}

static void holder(const char *devpath, const char *name, const char *by)
{
	char rel[4300], tgt[200];
	snprintf(rel, sizeof(rel), "sys/devices/%s/%s/holders/%s", devpath, name, by);
	snprintf(tgt, sizeof(tgt), "../../%s", by);
	fakesys_link(tgt, rel);
}

/*   vda   free, no partitions
 *   vdb   member of a mounted btrfs RAID1, shown in mountinfo only as vdc
 *   vdc   the mounted member (btrfs's anonymous 0:N device number)
 *   vdd   physical volume of LVM dm-1 (vg0-data)
 *   vde   disk whose partition vde1 is a member of md0
 *   vdf   held by dm-2, a dm-crypt volume; vdf1 a partition of it
 *   vdg   backs loop0
 *   vdh   partition vdh1 is swap
 *   vdi   held by dm-3, plain device-mapper
 *   sda   (real-looking ATA disk) mounted whole on /srv */
static void build(void)
{
	fakesys_init();
	snprintf(sys_, sizeof(sys_), "%s/sys", fakesys_root);
	snprintf(proc_, sizeof(proc_), "%s/proc", fakesys_root);
	snprintf(dev_, sizeof(dev_), "%s/dev", fakesys_root);
	root_ = (struct sysroot){ sys_, proc_, dev_ };
	fakesys_mkdirs(dev_);
	vdisk("vda", "254:0\n");
	vdisk("vdb", "254:16\n");
	vdisk("vdc", "254:32\n");
	vdisk("vdd", "254:48\n");
	vdisk("vde", "254:64\n");
	vpart("vde", "vde1", 1, "254:65\n");
	vpart("vde", "vde2", 2, "254:66\n");
	vdisk("vdf", "254:80\n");
	vpart("vdf", "vdf1", 1, "254:81\n");
	vdisk("vdg", "254:96\n");
	vdisk("vdh", "254:112\n");
	vpart("vdh", "vdh1", 1, "254:113\n");
	vdisk("vdi", "254:128\n");
	fakesys_disk(ATA, "sda", "8:0\n", "2048\n");
	node("sda");

	fakesys_disk(VIRT, "md0", "9:0\n", "2048\n");
	holder(VIRTIO "/vde", "vde1", "md0");
	fakesys_disk(VIRT, "dm-1", "253:1\n", "2048\n");
	fakesys_file("sys/devices/" VIRT "/dm-1/dm/name", "vg0-data\n");
	fakesys_file("sys/devices/" VIRT "/dm-1/dm/uuid", "LVM-abcdefabcdef\n");
	holder(VIRTIO, "vdd", "dm-1");
	fakesys_disk(VIRT, "dm-2", "253:2\n", "2048\n");
	fakesys_file("sys/devices/" VIRT "/dm-2/dm/name", "cryptroot\n");
	fakesys_file("sys/devices/" VIRT "/dm-2/dm/uuid", "CRYPT-LUKS2-0123-cryptroot\n");
	holder(VIRTIO, "vdf", "dm-2");
	fakesys_disk(VIRT, "dm-3", "253:3\n", "2048\n");
	fakesys_file("sys/devices/" VIRT "/dm-3/dm/name", "linear0\n");
	holder(VIRTIO, "vdi", "dm-3");

	fakesys_disk(VIRT, "loop0", "7:0\n", "2048\n");
	fakesys_disk(VIRT, "loop1", "7:1\n", "0\n"); /* unbound: no loop/ */
	char backing[4300];
	snprintf(backing, sizeof(backing), "%s/dev/vdg\n", fakesys_root);
	fakesys_file("sys/devices/" VIRT "/loop0/loop/backing_file", backing);

	fakesys_link("../../../../devices/" VIRTIO "/vdb", "sys/fs/btrfs/0f1e2d3c/devices/vdb");
	fakesys_link("../../../../devices/" VIRTIO "/vdc", "sys/fs/btrfs/0f1e2d3c/devices/vdc");
	fakesys_file("sys/fs/btrfs/features/raid1c34", "0\n");

	fakesys_file("proc/self/mountinfo",
		     "22 1 0:21 / /proc rw - proc proc rw\n"
		     "30 1 0:45 / /data rw - btrfs /dev/vdc rw,space_cache=v2\n"
		     "31 1 8:0 / /srv rw - ext4 /dev/sda rw\n");
	fakesys_file("proc/swaps", "Filename\tType\tSize\tUsed\tPriority\n"
				   "/dev/vdh1\tpartition\t1020\t0\t-2\n");
}

static const char *dev(const char *name)
{
	static char path[4300];
	snprintf(path, sizeof(path), "%s/dev/%s", fakesys_root, name);
	return path;
}

#define CHECK_CLAIM(name, flags, want_state, want_reason, want_why)                \
	do {                                                                        \
		struct claim c_;                                                    \
		CHECK_EQ(claim_check(&root_, dev(name), flags, &c_), want_state);   \
		CHECK_EQ(c_.state, want_state);                                     \
		CHECK_STR(claim_reason_name(c_.reason), want_reason);               \
		CHECK_STR(c_.why, want_why);                                        \
	} while (0)

TEST(claim_each_reason_in_words)
{
	build();
	CHECK_CLAIM("vda", 0, CLAIM_FREE, "", "");
	CHECK_CLAIM("vdc", 0, CLAIM_BUSY, "mounted", "vdc is mounted on /data");
	/* the member mountinfo does not show */
	CHECK_CLAIM("vdb", 0, CLAIM_BUSY, "btrfs_member",
		    "vdb is a member of the btrfs mounted on /data (with vdc)");
	CHECK_CLAIM("vdd", 0, CLAIM_BUSY, "held",
		    "vdd is a physical volume of the LVM volume vg0-data (dm-1)");
	CHECK_CLAIM("vde1", 0, CLAIM_BUSY, "held", "vde1 is a member of the RAID array md0");
	/* a disk is busy through its partition; its other partition is not */
	CHECK_CLAIM("vde", 0, CLAIM_BUSY, "held", "vde1 is a member of the RAID array md0");
	CHECK_CLAIM("vde2", 0, CLAIM_FREE, "", "");
	CHECK_CLAIM("vdf", 0, CLAIM_BUSY, "held",
		    "vdf is open as the encrypted volume cryptroot (dm-2)");
	/* a partition is busy through its disk */
	CHECK_CLAIM("vdf1", 0, CLAIM_BUSY, "held",
		    "its disk vdf is open as the encrypted volume cryptroot (dm-2)");
	CHECK_CLAIM("vdg", 0, CLAIM_BUSY, "loop", "vdg backs the loop device loop0");
	CHECK_CLAIM("vdh", 0, CLAIM_BUSY, "swap", "vdh1 is in use as swap");
	CHECK_CLAIM("vdi", 0, CLAIM_BUSY, "held",
		    "vdi is held by the device-mapper device linear0 (dm-3)");
	CHECK_CLAIM("sda", 0, CLAIM_BUSY, "mounted", "sda is mounted on /srv");
	struct claim c;
	CHECK_EQ(claim_check(&root_, dev("vde1"), 0, &c), CLAIM_BUSY);
	CHECK(c.is_blockdev);
	CHECK_STR(c.name, "vde1");
	CHECK_EQ(c.partno, 1);
}

/* Which partitions keep a disk busy, for an edit that must keep them. */
TEST(claim_busy_parts_of_a_disk)
{
	build();
	struct claim_parts parts;
	struct claim c;
	CHECK_EQ(claim_busy_parts(&root_, dev("vde"), &parts, &c), 0);
	CHECK_EQ(parts.n, 1);
	CHECK_EQ(parts.part[0].partno, 1);
	CHECK_EQ(parts.part[0].start, 1 << 20); /* sysfs "start" is in 512-byte units */
	CHECK_EQ(parts.part[0].size, 1 << 20);
	CHECK_STR(parts.part[0].why, "vde1 is a member of the RAID array md0");
	CHECK_EQ(claim_busy_parts(&root_, dev("vdh"), &parts, &c), 0);
	CHECK_EQ(parts.n, 1);
	CHECK_STR(parts.part[0].why, "vdh1 is in use as swap");
	CHECK_EQ(claim_busy_parts(&root_, dev("vda"), &parts, &c), 0);
	CHECK_EQ(parts.n, 0);
	/* the disk itself in use, a partition, or in doubt: no list */
	CHECK_EQ(claim_busy_parts(&root_, dev("vdf"), &parts, &c), -1);
	CHECK_STR(c.why, "vdf is open as the encrypted volume cryptroot (dm-2)");
	CHECK_EQ(claim_busy_parts(&root_, dev("sda"), &parts, &c), -1);
	CHECK_STR(c.why, "sda is mounted on /srv");
	CHECK_EQ(claim_busy_parts(&root_, dev("vde1"), &parts, &c), -1);
	CHECK_STR(c.why, "vde1 is a partition, not a whole disk");
	CHECK_EQ(claim_busy_parts(&root_, dev("nope"), &parts, &c), -1);
	CHECK_EQ(c.state, CLAIM_BUSY);
}

TEST(claim_image_files)
{
	build();
	char img[4300], swapimg[4300], swaps[9000];
	snprintf(img, sizeof(img), "%s/disk.img", fakesys_root);
	snprintf(swapimg, sizeof(swapimg), "%s/swap.img", fakesys_root);
	int fd = open(img, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 1 << 20));
	close(fd);
	fd = open(swapimg, O_CREAT | O_WRONLY, 0600);
	CHECK(fd >= 0 && !ftruncate(fd, 1 << 20));
	close(fd);
	struct claim c;
	CHECK_EQ(claim_check(&root_, img, CLAIM_STRICT, &c), CLAIM_FREE);
	CHECK(!c.is_blockdev);
	/* loop1 gets bound to the image, by another name for the same file */
	char other[4300];
	snprintf(other, sizeof(other), "%s/./disk.img\n", fakesys_root);
	fakesys_file("sys/devices/" VIRT "/loop1/loop/backing_file", other);
	CHECK_EQ(claim_check(&root_, img, 0, &c), CLAIM_BUSY);
	CHECK_STR(claim_reason_name(c.reason), "loop");
	CHECK_STR(c.why, "the image backs the loop device loop1");
	/* a swap file, named with a blank escaped as /proc/swaps does */
	char spaced[4300];
	snprintf(spaced, sizeof(spaced), "%s/my swap", fakesys_root);
	CHECK_EQ(rename(swapimg, spaced), 0);
	snprintf(swaps, sizeof(swaps), "Filename\tType\tSize\tUsed\tPriority\n%s/my\\040swap\tfile\t1020\t0\t-2\n",
		 fakesys_root);
	fakesys_file("proc/swaps", swaps);
	CHECK_EQ(claim_check(&root_, spaced, 0, &c), CLAIM_BUSY);
	CHECK_STR(claim_reason_name(c.reason), "swap");
	CHECK_STR(c.why, "the image is in use as swap");
}

static void put(const char *path, uint64_t off, const void *bytes, size_t n)
{
	int fd = open(path, O_WRONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pwrite(fd, bytes, n, (off_t)off), n);
	close(fd);
}

TEST(claim_strict_refuses_content)
{
	build();
	struct claim c;
	const char *vda = dev("vda");
	CHECK_EQ(claim_check(&root_, vda, CLAIM_STRICT, &c), CLAIM_FREE);
	/* a bare MBR boot signature with an empty table: boot code, say */
	put(vda, 510, "\x55\xaa", 2);
	CHECK_EQ(claim_check(&root_, vda, 0, &c), CLAIM_FREE); /* not strict: not looked at */
	CHECK_EQ(claim_check(&root_, vda, CLAIM_STRICT, &c), CLAIM_CONTENT);
	CHECK(c.reason == CLAIM_MBR || c.reason == CLAIM_PARTTABLE);
	/* a protective MBR alone (no GPT behind it) is not data */
	put(vda, 446 + 4, "\xee", 1);
	put(vda, 446 + 8, "\x01\0\0\0\xff\x07\0\0", 8);
	CHECK_EQ(claim_check(&root_, vda, CLAIM_STRICT, &c), CLAIM_FREE);
	/* a DOS partition next to it makes it a table */
	put(vda, 446 + 16 + 4, "\x83", 1);
	put(vda, 446 + 16 + 8, "\0\x08\0\0\0\x08\0\0", 8);
	CHECK_EQ(claim_check(&root_, vda, CLAIM_STRICT, &c), CLAIM_CONTENT);
	CHECK(c.reason == CLAIM_MBR || c.reason == CLAIM_PARTTABLE);

	/* a swap signature (version 1, last page, magic at the page's end) */
	const char *vdi2 = dev("vda"); /* reuse after wiping */
	static const char zero[512];
	put(vdi2, 0, zero, sizeof(zero));
	put(vdi2, 1024, "\x01\0\0\0\xff\0\0\0", 8);
	put(vdi2, 4096 - 10, "SWAPSPACE2", 10);
	CHECK_EQ(claim_check(&root_, vdi2, CLAIM_STRICT, &c), CLAIM_CONTENT);
	CHECK_STR(claim_reason_name(c.reason), "signature");
	CHECK_STR(c.why, "it holds a swap signature");
	/* a busy device stays busy, whatever it holds */
	put(dev("vdc"), 1024, "\x01\0\0\0\xff\0\0\0", 8);
	put(dev("vdc"), 4096 - 10, "SWAPSPACE2", 10);
	CHECK_EQ(claim_check(&root_, dev("vdc"), CLAIM_STRICT, &c), CLAIM_BUSY);
	/* claim_content alone */
	CHECK_EQ(claim_content(vdi2, &c), CLAIM_CONTENT);
	CHECK_STR(c.why, "it holds a swap signature");
}

TEST(claim_in_doubt_says_busy)
{
	build();
	struct claim c;
	/* no such path */
	CHECK_EQ(claim_check(&root_, dev("nope"), 0, &c), CLAIM_BUSY);
	CHECK_STR(claim_reason_name(c.reason), "unknown");
	CHECK(strstr(c.why, "cannot be inspected: ") == c.why);
	/* a directory is neither a device nor an image */
	CHECK_EQ(claim_check(&root_, fakesys_root, 0, &c), CLAIM_BUSY);
	CHECK_EQ(c.reason, CLAIM_UNKNOWN);
	/* a FIFO is neither either, and checking it does not hang */
	char fifo[4300];
	snprintf(fifo, sizeof(fifo), "%s/fifo", fakesys_root);
	CHECK_EQ(mkfifo(fifo, 0600), 0);
	CHECK_EQ(claim_check(&root_, fifo, CLAIM_STRICT, &c), CLAIM_BUSY);
	/* a btrfs registry that cannot be listed */
	char path[4300];
	snprintf(path, sizeof(path), "%s/sys/fs/btrfs", fakesys_root);
	char moved[4400];
	snprintf(moved, sizeof(moved), "%s.away", path);
	CHECK_EQ(rename(path, moved), 0);
	fakesys_file("sys/fs/btrfs", "not a directory\n");
	CHECK_EQ(claim_check(&root_, dev("vda"), 0, &c), CLAIM_BUSY);
	CHECK_EQ(c.reason, CLAIM_UNKNOWN);
	CHECK(strstr(c.why, "/sys/fs/btrfs") != NULL);
	/* no btrfs module at all is fine */
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(claim_check(&root_, dev("vda"), 0, &c), CLAIM_FREE);
	/* a loop device whose backing_file cannot be read */
	snprintf(path, sizeof(path), "%s/sys/devices/" VIRT "/loop0/loop/backing_file",
		 fakesys_root);
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(mkdir(path, 0755), 0);
	CHECK_EQ(claim_check(&root_, dev("vda"), 0, &c), CLAIM_BUSY);
	CHECK_EQ(c.reason, CLAIM_UNKNOWN);
	CHECK_EQ(rmdir(path), 0);
	CHECK_EQ(claim_check(&root_, dev("vda"), 0, &c), CLAIM_FREE);
	/* no mountinfo: a mounted disk would look free */
	snprintf(path, sizeof(path), "%s/proc/self/mountinfo", fakesys_root);
	CHECK_EQ(unlink(path), 0);
	CHECK_EQ(claim_check(&root_, dev("vda"), 0, &c), CLAIM_BUSY);
	CHECK_EQ(c.reason, CLAIM_UNKNOWN);
	CHECK(strstr(c.why, "mountinfo") != NULL);
	/* no sysfs */
	fakesys_file("proc/self/mountinfo", "");
	struct sysroot bad = { "/nonexistent/sys", proc_, dev_ };
	CHECK_EQ(claim_check(&bad, dev("vda"), 0, &c), CLAIM_BUSY);
	CHECK_EQ(c.reason, CLAIM_UNKNOWN);
}

TEST(claim_require_for_applets)
{
	build();
	struct bb_error e;
	bb_error_clear(&e);
	CHECK_EQ(claim_require(&root_, dev("vda"), CLAIM_STRICT, &e), 0);
	CHECK(!bb_error_is_set(&e));
	CHECK_EQ(claim_require(&root_, dev("vdb"), 0, &e), -1);
	CHECK_EQ(e.code, EBUSY);
	char want[4600];
	snprintf(want, sizeof(want), "%s: vdb is a member of the btrfs mounted on /data (with vdc)",
		 dev("vdb"));
	CHECK_STR(e.msg, want);
	put(dev("vda"), 1024, "\x01\0\0\0\xff\0\0\0", 8);
	put(dev("vda"), 4096 - 10, "SWAPSPACE2", 10);
	CHECK_EQ(claim_require(&root_, dev("vda"), CLAIM_STRICT, &e), -1);
	CHECK_EQ(e.code, EEXIST);
	CHECK_EQ(claim_require(&root_, dev("vda"), 0, &e), 0);
}
