/* smart.c - NVMe SMART / Health log and ATA SMART, read and decoded. */
#include "smart.h"
#include "endian.h"
#include "error.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/nvme_ioctl.h>
#include <scsi/sg.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- NVMe ----------------------------------------------------------------- */

/* A 128-bit little-endian counter, saturated to 64 bits. */
static uint64_t le128_sat(const uint8_t *p)
{
	return get_le64(p + 8) ? UINT64_MAX : get_le64(p);
}

int smart_nvme_parse(const uint8_t *buf, size_t len, struct smart_nvme *s, struct bb_error *e)
{
	memset(s, 0, sizeof(*s));
	if (len < SMART_LOG_SIZE)
		return bb_error_set(e, EINVAL, "NVMe SMART log: %zu bytes, expected %u", len,
				    SMART_LOG_SIZE);
	s->critical_warning = buf[0];
	s->temperature_k = get_le16(buf + 1);
	s->available_spare = buf[3];
	s->spare_threshold = buf[4];
	s->percent_used = buf[5];
	s->data_units_read = le128_sat(buf + 32);
	s->data_units_written = le128_sat(buf + 48);
	s->host_reads = le128_sat(buf + 64);
	s->host_writes = le128_sat(buf + 80);
	s->busy_minutes = le128_sat(buf + 96);
	s->power_cycles = le128_sat(buf + 112);
	s->power_on_hours = le128_sat(buf + 128);
	s->unsafe_shutdowns = le128_sat(buf + 144);
	s->media_errors = le128_sat(buf + 160);
	s->error_log_entries = le128_sat(buf + 176);
	s->warning_temp_minutes = get_le32(buf + 192);
	s->critical_temp_minutes = get_le32(buf + 196);
	for (int i = 0; i < 8; i++)
		s->sensor_k[i] = get_le16(buf + 200 + 2 * i);
	return 0;
}

static const char *const nvme_warning_names[] = {
	"spare", "temperature", "reliability", "read_only", "volatile_backup", "pmr_read_only",
	"bit6", "bit7",
};

char *smart_nvme_warning_words(uint8_t bits, char *buf, size_t len)
{
	size_t used = 0;
	if (len)
		buf[0] = 0;
	for (int i = 0; i < 8; i++) {
		if (!(bits & (1u << i)))
			continue;
		size_t k = strlen(nvme_warning_names[i]) + (used ? 1 : 0);
		if (used + k >= len)
			break; /* whole words only */
		snprintf(buf + used, len - used, "%s%s", used ? "," : "", nvme_warning_names[i]);
		used += k;
	}
	return buf;
}

int smart_nvme_read(const char *path, uint8_t buf[SMART_LOG_SIZE], struct bb_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return bb_error_errno(e, "%s: open", path);
	struct nvme_admin_cmd c;
	memset(&c, 0, sizeof(c));
	memset(buf, 0, SMART_LOG_SIZE);
	c.opcode = 0x02;          /* Get Log Page */
	c.nsid = 0xffffffffu;     /* the controller as a whole */
	c.addr = (uint64_t)(uintptr_t)buf;
	c.data_len = SMART_LOG_SIZE;
	c.cdw10 = ((SMART_LOG_SIZE / 4 - 1) << 16) | 0x02; /* dwords - 1, log 02h */
	c.timeout_ms = 10000;
	int rc = ioctl(fd, NVME_IOCTL_ADMIN_CMD, &c);
	int err = errno;
	close(fd);
	if (rc < 0) {
		errno = err;
		return bb_error_errno(e, "%s: NVMe get log page", path);
	}
	if (rc > 0)
		return bb_error_set(e, EIO, "%s: NVMe get log page: status 0x%x", path, (unsigned)rc);
	return 0;
}

/* ---- ATA ------------------------------------------------------------------ */

int smart_ata_attrs_parse(const uint8_t *buf, size_t len, struct smart_ata_attr *out, size_t *n,
			  struct bb_error *e)
{
	*n = 0;
	if (len < SMART_LOG_SIZE)
		return bb_error_set(e, EINVAL, "ATA SMART data: %zu bytes, expected %u", len,
				    SMART_LOG_SIZE);
	uint8_t sum = 0;
	for (size_t i = 0; i < SMART_LOG_SIZE; i++)
		sum = (uint8_t)(sum + buf[i]);
	if (sum)
		return bb_error_set(e, EINVAL, "ATA SMART data: checksum does not add up");
	for (size_t i = 0; i < SMART_ATA_MAX_ATTRS; i++) {
		const uint8_t *a = buf + 2 + 12 * i;
		if (!a[0])
			continue;
		struct smart_ata_attr *o = &out[(*n)++];
		o->id = a[0];
		o->flags = get_le16(a + 1);
		o->value = a[3];
		o->worst = a[4];
		o->raw = (uint64_t)get_le32(a + 5) | (uint64_t)get_le16(a + 9) << 32;
	}
	return 0;
}

static int status_words(unsigned mid, unsigned high)
{
	if (mid == 0x4f && high == 0xc2)
		return 0;
	if (mid == 0xf4 && high == 0x2c)
		return 1;
	return -1;
}

int smart_ata_status_parse(const uint8_t *sense, size_t len)
{
	if (len < 8)
		return -1;
	unsigned code = sense[0] & 0x7f;
	if (code == 0x72 || code == 0x73) {
		/* descriptors from byte 8, sense[7] bytes of them */
		size_t end = 8 + (size_t)sense[7];
		if (end > len)
			end = len;
		for (size_t p = 8; p + 2 <= end;) {
			size_t dlen = 2 + (size_t)sense[p + 1];
			if (sense[p] == 0x09 && dlen >= 14 && p + 14 <= end)
				return status_words(sense[p + 9], sense[p + 11]);
			p += dlen;
		}
		return -1;
	}
	if ((code == 0x70 || code == 0x71) && len >= 12)
		return status_words(sense[10], sense[11]); /* libata's fixed layout */
	return -1;
}

static const struct {
	unsigned id;
	const char *name;
} ata_names[] = {
	{ 5, "reallocated_sectors" },   { 9, "power_on_hours" },
	{ 12, "power_cycles" },         { 187, "reported_uncorrectable" },
	{ 194, "temperature" },         { 197, "pending_sectors" },
	{ 198, "offline_uncorrectable" }, { 199, "crc_errors" },
};

const char *smart_ata_attr_name(unsigned id)
{
	for (size_t i = 0; i < sizeof(ata_names) / sizeof(ata_names[0]); i++)
		if (ata_names[i].id == id)
			return ata_names[i].name;
	return NULL;
}

/* One ATA PASS-THROUGH (16) of SMART (B0h) with feature: data-in of
 * SMART_LOG_SIZE bytes into buf, or non-data with the registers asked
 * back (CK_COND) when buf is NULL. */
static int ata_smart(int fd, unsigned feature, uint8_t *buf, uint8_t *sense, size_t slen)
{
	uint8_t cdb[16] = { 0 };
	cdb[0] = 0x85;
	cdb[1] = buf ? 4 << 1 : 3 << 1;  /* protocol: PIO data-in / non-data */
	cdb[2] = buf ? 0x0e : 0x20;      /* in, length in sectors from count / CK_COND */
	cdb[4] = (uint8_t)feature;
	cdb[6] = buf ? 1 : 0;
	cdb[10] = 0x4f;
	cdb[12] = 0xc2;
	cdb[14] = 0xb0;
	struct sg_io_hdr h;
	memset(&h, 0, sizeof(h));
	h.interface_id = 'S';
	h.cmd_len = sizeof(cdb);
	h.cmdp = cdb;
	h.mx_sb_len = (unsigned char)slen;
	h.sbp = sense;
	h.dxfer_direction = buf ? SG_DXFER_FROM_DEV : SG_DXFER_NONE;
	h.dxfer_len = buf ? SMART_LOG_SIZE : 0;
	h.dxferp = buf;
	h.timeout = 10000;
	if (ioctl(fd, SG_IO, &h) < 0)
		return -1;
	if (buf && (h.status || h.host_status || h.driver_status)) {
		errno = EIO;
		return -1;
	}
	return h.sb_len_wr;
}

int smart_ata_read(const char *path, uint8_t buf[SMART_LOG_SIZE], int *status, struct bb_error *e)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return bb_error_errno(e, "%s: open", path);
	uint8_t sense[64];
	memset(sense, 0, sizeof(sense));
	memset(buf, 0, SMART_LOG_SIZE);
	int rc = -1;
	if (ata_smart(fd, 0xd0, buf, sense, sizeof(sense)) < 0)
		bb_error_errno(e, "%s: ATA SMART READ DATA", path);
	else {
		memset(sense, 0, sizeof(sense));
		int got = ata_smart(fd, 0xda, NULL, sense, sizeof(sense));
		if (got < 0)
			bb_error_errno(e, "%s: ATA SMART RETURN STATUS", path);
		else {
			*status = smart_ata_status_parse(sense, (size_t)got);
			rc = 0;
		}
	}
	close(fd);
	return rc;
}
