/* smart.h - drive health without smartctl: NVMe's SMART / Health log
 * through the NVMe admin ioctl, ATA SMART through SG_IO (ATA PASS-THROUGH
 * (16)). virtio and the like have neither, which is an answer too.
 *
 * The parsers take the bytes a drive returned and trust none of them
 * (offsets fixed by the specs, integers through endian.h, checksums
 * checked); the readers issue the commands. Nothing is printed.
 */
#ifndef BB_SMART_H
#define BB_SMART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bb_error;

#define SMART_LOG_SIZE 512

/* ---- NVMe: Get Log Page 02h, SMART / Health Information ------------------ */

/* Critical Warning bits (byte 0). */
enum {
	SMART_NVME_SPARE = 1 << 0,      /* available spare below its threshold */
	SMART_NVME_TEMPERATURE = 1 << 1,/* a temperature past a threshold */
	SMART_NVME_RELIABILITY = 1 << 2,/* NVM subsystem reliability degraded */
	SMART_NVME_READ_ONLY = 1 << 3,  /* media placed in read-only mode */
	SMART_NVME_BACKUP = 1 << 4,     /* volatile memory backup failed */
	SMART_NVME_PMR_RO = 1 << 5,     /* persistent memory region read-only */
};

struct smart_nvme {
	uint8_t critical_warning;
	unsigned temperature_k;     /* composite, kelvin; 0 when not reported */
	unsigned available_spare;   /* percent */
	unsigned spare_threshold;   /* percent */
	unsigned percent_used;      /* of the rated endurance; may pass 100 */
	/* 128-bit counters, saturated at UINT64_MAX */
	uint64_t data_units_read, data_units_written; /* units of 512 000 bytes */
	uint64_t host_reads, host_writes;             /* commands */
	uint64_t busy_minutes, power_cycles, power_on_hours, unsafe_shutdowns;
	uint64_t media_errors, error_log_entries;
	uint32_t warning_temp_minutes, critical_temp_minutes;
	unsigned sensor_k[8];       /* temperature sensors 1..8, 0 when absent */
};

/* Decode the 512-byte log. -1 with e (EINVAL) when len is short. */
int smart_nvme_parse(const uint8_t *buf, size_t len, struct smart_nvme *s, struct bb_error *e);
/* The warning bits as snake_case words joined by ',' ("spare,temperature");
 * "" for none. Returns buf. */
char *smart_nvme_warning_words(uint8_t bits, char *buf, size_t len);

/* Read the log of the controller behind path (/dev/nvme0n1 or /dev/nvme0)
 * into buf. -1 with e: ENOTTY/EINVAL when it is no NVMe device, EIO with
 * the NVMe status when the controller refused. */
int smart_nvme_read(const char *path, uint8_t buf[SMART_LOG_SIZE], struct bb_error *e);

/* ---- ATA: SMART READ DATA and SMART RETURN STATUS ------------------------- */

struct smart_ata_attr {
	unsigned id;      /* 1..255 */
	unsigned flags;
	unsigned value, worst; /* normalised, 1..253 */
	uint64_t raw;     /* 48 bits, little-endian on the wire */
};

#define SMART_ATA_MAX_ATTRS 30

/* The attribute table of SMART READ DATA (512 bytes, byte 511 makes the
 * sum of all 512 zero). Entries with id 0 are empty slots. -1 with e
 * (EINVAL) when short or the checksum is wrong. */
int smart_ata_attrs_parse(const uint8_t *buf, size_t len, struct smart_ata_attr *out, size_t *n,
			  struct bb_error *e);
/* The answer to RETURN STATUS from the sense data of the ATA
 * PASS-THROUGH (descriptor format 72h/73h with the ATA Status Return
 * descriptor, or fixed format 70h/71h): 0 healthy (LBA mid/high 4Fh/C2h),
 * 1 a threshold is exceeded (F4h/2Ch), -1 not recognised. */
int smart_ata_status_parse(const uint8_t *sense, size_t len);
/* A name for the attributes health looks at ("reallocated_sectors"), or NULL. */
const char *smart_ata_attr_name(unsigned id);

/* Issue both commands to path (/dev/sda). status as above. -1 with e
 * when the device takes no ATA pass-through (a virtio or SCSI disk). */
int smart_ata_read(const char *path, uint8_t buf[SMART_LOG_SIZE], int *status,
		   struct bb_error *e);

#endif
