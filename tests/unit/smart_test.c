/* core/smart: the NVMe SMART / Health log and ATA SMART answers decoded
 * from bytes laid out by hand at the offsets of the specifications. */
#include "error.h"
#include <errno.h>
#include "smart.h"
#include "test.h"

TEST(smart_nvme_log_fields)
{
	uint8_t b[512] = { 0 };
	b[0] = 0x05;                 /* spare + reliability */
	b[1] = 0x41, b[2] = 0x01;    /* 0x141 = 321 K */
	b[3] = 7, b[4] = 10, b[5] = 103;
	b[32] = 0x10, b[33] = 0x27;  /* data units read 10000 */
	b[48] = 0xff, b[55] = 0x01;  /* written 0x01000000000000ff */
	b[64 + 8] = 1;               /* host reads past 2^64: saturated */
	b[112] = 42;                 /* power cycles */
	b[128] = 0x39, b[129] = 0x30; /* 12345 hours */
	b[160] = 3;                  /* media errors */
	b[192] = 9, b[196] = 0, b[197] = 1; /* 9 and 256 minutes */
	b[200] = 0x2c, b[201] = 0x01; /* sensor 1: 300 K */
	b[214] = 0x10;               /* sensor 8: 16 K */
	struct smart_nvme s;
	struct bb_error e = { 0 };
	CHECK(smart_nvme_parse(b, sizeof(b), &s, &e) == 0);
	CHECK_EQ(s.critical_warning, 5);
	CHECK_EQ(s.temperature_k, 321);
	CHECK_EQ(s.available_spare, 7);
	CHECK_EQ(s.spare_threshold, 10);
	CHECK_EQ(s.percent_used, 103);
	CHECK_EQ(s.data_units_read, 10000);
	CHECK_EQ(s.data_units_written, 0x01000000000000ffull);
	CHECK_EQ(s.host_reads, UINT64_MAX);
	CHECK_EQ(s.power_cycles, 42);
	CHECK_EQ(s.power_on_hours, 12345);
	CHECK_EQ(s.media_errors, 3);
	CHECK_EQ(s.warning_temp_minutes, 9);
	CHECK_EQ(s.critical_temp_minutes, 256);
	CHECK_EQ(s.sensor_k[0], 300);
	CHECK_EQ(s.sensor_k[1], 0);
	CHECK_EQ(s.sensor_k[7], 16);
	char w[128];
	CHECK_STR(smart_nvme_warning_words(s.critical_warning, w, sizeof(w)), "spare,reliability");
	CHECK_STR(smart_nvme_warning_words(0, w, sizeof(w)), "");
	CHECK_STR(smart_nvme_warning_words(0x3f, w, sizeof(w)),
		  "spare,temperature,reliability,read_only,volatile_backup,pmr_read_only");
	CHECK_STR(smart_nvme_warning_words(0x03, w, 8), "spare"); /* no cut word */
	CHECK(smart_nvme_parse(b, 511, &s, &e) == -1);
	CHECK_EQ(e.code, EINVAL);
}

static void put_attr(uint8_t *b, int slot, unsigned id, unsigned value, uint64_t raw)
{
	uint8_t *a = b + 2 + 12 * slot;
	a[0] = (uint8_t)id;
	a[1] = 0x33;
	a[3] = (uint8_t)value;
	a[4] = (uint8_t)(value - 1);
	for (int i = 0; i < 6; i++)
		a[5 + i] = (uint8_t)(raw >> (8 * i));
}

static void seal(uint8_t *b)
{
	uint8_t sum = 0;
	for (int i = 0; i < 511; i++)
		sum = (uint8_t)(sum + b[i]);
	b[511] = (uint8_t)(0x100 - sum);
}

TEST(smart_ata_attributes)
{
	uint8_t b[512] = { 0 };
	b[0] = 0x10;
	put_attr(b, 0, 5, 100, 8);
	put_attr(b, 3, 194, 64, 0x0000002a0012002full); /* 48 bits kept */
	put_attr(b, 29, 197, 200, 0xabcdef123456ull);
	seal(b);
	struct smart_ata_attr a[SMART_ATA_MAX_ATTRS];
	size_t n;
	struct bb_error e = { 0 };
	CHECK(smart_ata_attrs_parse(b, sizeof(b), a, &n, &e) == 0);
	CHECK_EQ(n, 3);
	CHECK_EQ(a[0].id, 5);
	CHECK_EQ(a[0].raw, 8);
	CHECK_EQ(a[0].value, 100);
	CHECK_EQ(a[0].worst, 99);
	CHECK_EQ(a[0].flags, 0x33);
	CHECK_EQ(a[1].id, 194);
	CHECK_EQ(a[1].raw, 0x002a0012002full);
	CHECK_EQ(a[2].id, 197);
	CHECK_EQ(a[2].raw, 0xabcdef123456ull);
	CHECK_STR(smart_ata_attr_name(5), "reallocated_sectors");
	CHECK(smart_ata_attr_name(1) == NULL);
	b[100] ^= 1;
	CHECK(smart_ata_attrs_parse(b, sizeof(b), a, &n, &e) == -1);
	CHECK(smart_ata_attrs_parse(b, 100, a, &n, &e) == -1);
}

TEST(smart_ata_return_status)
{
	/* descriptor sense: ATA Status Return descriptor 09h at byte 8 */
	uint8_t d[22] = { 0x72, 0x01, 0, 0x1d, 0, 0, 0, 14, 0x09, 0x0c, 0, 0, 0, 0, 0, 0, 0,
			  0x4f, 0, 0xc2, 0, 0x50 };
	CHECK(smart_ata_status_parse(d, sizeof(d)) == 0);
	d[17] = 0xf4, d[19] = 0x2c;
	CHECK(smart_ata_status_parse(d, sizeof(d)) == 1);
	d[17] = 0x12;
	CHECK(smart_ata_status_parse(d, sizeof(d)) == -1);
	/* a descriptor of another type first, then ours */
	uint8_t two[30] = { 0x72, 1, 0, 0x1d, 0, 0, 0, 22, 0x00, 6, 0, 0, 0, 0, 0, 0,
			    0x09, 0x0c, 0, 0, 0, 0, 0, 0, 0, 0xf4, 0, 0x2c, 0, 0x51 };
	CHECK(smart_ata_status_parse(two, sizeof(two)) == 1);
	/* cut short: no answer rather than a read past the end */
	CHECK(smart_ata_status_parse(two, 20) == -1);
	/* fixed format as libata writes it */
	uint8_t f[18] = { 0x70, 0, 0x01, 0, 0x50, 0, 0, 10, 0, 0, 0x4f, 0xc2 };
	CHECK(smart_ata_status_parse(f, sizeof(f)) == 0);
	CHECK(smart_ata_status_parse(f, 4) == -1);
}
